package io.escrow.cms;

import io.escrow.error.InvalidArgumentException;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignerDigestMismatchException;
import org.bouncycastle.cms.CMSVerifierCertificateNotValidException;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * Verifies contract §1 approvals: a DER CMS SignedData, detached, with exactly one signer whose
 * certificate is included, over exactly the expected bytes, chaining to one named trust anchor
 * and valid at signing time. This is what {@code openssl cms -sign -binary ... -outform DER}
 * produces.
 *
 * <p>The signing time is the signer's claim. It is accepted only between {@code earliest} (for
 * an approval, the filing time: nobody can sign bytes that did not exist yet) and now, with
 * {@link #CLOCK_SKEW} of tolerance; without the attribute, the verification time is used. A
 * certificate that expired before the warrant was filed can therefore never pass by backdating.
 *
 * <p>Where the authority has CRLs configured ({@link TrustAnchors#revocation}), every certificate
 * of the validated path is checked against them at {@code now}. OCSP is not used.
 */
public final class CmsSignatureVerifier {
    public static final String FIELD = "cms_signature";
    public static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    public static final int MAX_BYTES = 64 * 1024;
    /** Certificates a signature may carry: the signer and its intermediates, never a haystack to search. */
    public static final int MAX_CERTIFICATES = 8;
    /** Intermediate CAs a signer's path may have below its trust anchor. */
    public static final int MAX_PATH_INTERMEDIATES = 4;
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    private CmsSignatureVerifier() {}

    public static VerifiedSignature verify(byte[] der, byte[] expectedContent, TrustAnchors anchors,
                                           Instant earliest, Instant now) {
        if (der == null || der.length == 0) {
            throw reject("is required");
        }
        if (der.length > MAX_BYTES) {
            throw reject("has " + der.length + " bytes; at most " + MAX_BYTES + " are allowed");
        }
        ContentInfo info;
        CMSSignedData parsed;
        try {
            info = ContentInfo.getInstance(ASN1Primitive.fromByteArray(der));
            parsed = new CMSSignedData(info);
        } catch (IOException | CMSException | RuntimeException e) {
            throw reject("is not a DER CMS SignedData");
        }
        if (!parsed.isDetachedSignature()) {
            throw reject("must be a detached signature; this one encapsulates its content (use openssl cms -sign without -nodetach)");
        }
        CMSSignedData signed;
        try {
            signed = new CMSSignedData(new CMSProcessableByteArray(expectedContent), info);
        } catch (CMSException | RuntimeException e) {
            throw reject("is not a DER CMS SignedData");
        }
        // Bouncy Castle decodes signer infos and certificates lazily and throws unchecked
        // exceptions on malformed ones (found by fuzzing): decode them all here, as one refusal.
        Collection<SignerInformation> signers;
        List<X509CertificateHolder> holders = new ArrayList<>();
        try {
            signers = signed.getSignerInfos().getSigners();
            for (Object o : signed.getCertificates().getMatches(null)) {
                holders.add((X509CertificateHolder) o);
            }
        } catch (RuntimeException e) {
            throw reject("is not a DER CMS SignedData: its signer information or certificates are malformed");
        }
        if (signers.size() != 1) {
            throw reject("must have exactly one signer, has " + signers.size());
        }
        if (holders.size() > MAX_CERTIFICATES) {
            throw reject("includes " + holders.size() + " certificates; at most " + MAX_CERTIFICATES + " are allowed");
        }
        // Distinct names make the path search a walk up one chain. Several certificates under one
        // name (re-keyed or cross-signed CAs) would let a signature carry a web of candidate
        // issuers that the search tries in turn: with 7 self-issued P-384 CAs under one name, 16
        // callers' approvals (86 a second) raised another client's p99 from 20 to 265 ms
        // (AbuseBench). Names are compared as the path builder compares them (X500Principal,
        // canonical form), so another encoding of one name cannot pass; and only once every
        // certificate has parsed, since Bouncy Castle decodes a holder's name lazily (found by
        // fuzzing: a malformed name threw IllegalArgumentException from X500Name.hashCode).
        List<X509Certificate> included = new ArrayList<>();
        for (X509CertificateHolder h : holders) {
            included.add(certificate(h));
        }
        Set<javax.security.auth.x500.X500Principal> names = new HashSet<>();
        for (X509Certificate c : included) {
            if (!names.add(c.getSubjectX500Principal())) {
                throw reject("includes more than one certificate named '" + c.getSubjectX500Principal().getName()
                        + "'; include the signer and one chain of intermediates");
            }
        }
        SignerInformation signer = signers.iterator().next();
        List<Integer> matches = new ArrayList<>();
        for (int i = 0; i < holders.size(); i++) {
            if (signer.getSID().match(holders.get(i))) {
                matches.add(i);
            }
        }
        if (matches.size() != 1) {
            throw reject("must include the signer's certificate");
        }
        X509CertificateHolder holder = holders.get(matches.get(0));
        X509Certificate leaf = included.get(matches.get(0));
        Instant signingTime = signingTime(signer, now);
        if (signingTime.isAfter(now.plus(CLOCK_SKEW))) {
            throw reject("claims signing time " + signingTime + ", which is in the future");
        }
        if (signingTime.isBefore(earliest.minus(CLOCK_SKEW))) {
            throw reject("claims signing time " + signingTime + ", before the signed bytes existed (" + earliest + ")");
        }
        String subject = leaf.getSubjectX500Principal().getName();
        try {
            leaf.checkValidity(Date.from(signingTime));
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw reject("signer certificate '" + subject + "' was not valid at signing time " + signingTime
                    + " (valid " + leaf.getNotBefore().toInstant() + " to " + leaf.getNotAfter().toInstant() + ")");
        }
        boolean[] usage = leaf.getKeyUsage();
        if (usage != null && !usage[0] && !usage[1]) {
            throw reject("signer certificate '" + subject + "' does not allow digitalSignature or nonRepudiation");
        }
        try {
            if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BC).build(holder))) {
                throw reject("signature does not verify with the signer's certificate");
            }
        } catch (CMSSignerDigestMismatchException e) {
            throw reject("signs other bytes than expected (message digest mismatch)");
        } catch (CMSVerifierCertificateNotValidException e) {
            throw reject("signer certificate '" + subject + "' was not valid at signing time " + signingTime);
        } catch (CMSException | OperatorCreationException | java.security.cert.CertificateException | RuntimeException e) {
            throw reject("signature does not verify: " + e.getMessage());
        }
        for (Map.Entry<String, List<X509Certificate>> a : anchors.byName().entrySet()) {
            Optional<ValidatedPath> path = chain(leaf, included, a.getValue(), signingTime);
            if (path.isPresent()) {
                anchors.revocation(a.getKey()).ifPresent(crls -> crls.check(path.get().certificates(), path.get().anchor(), now));
                return new VerifiedSignature(a.getKey(), subject, signingTime, sha256(leaf));
            }
        }
        throw reject("signer certificate '" + subject + "' (issuer '" + leaf.getIssuerX500Principal().getName()
                + "') does not chain to any configured trust anchor " + anchors.names());
    }

    /** A certification path from the signer up to, not including, its trust anchor. */
    private record ValidatedPath(List<X509Certificate> certificates, X509Certificate anchor) {
    }

    private static Optional<ValidatedPath> chain(X509Certificate leaf, List<X509Certificate> included, List<X509Certificate> anchors,
                                                 Instant at) {
        for (X509Certificate a : anchors) {
            if (Arrays.equals(encoded(a), encoded(leaf))) {
                return Optional.of(new ValidatedPath(List.of(), a)); // the anchor itself signed (validity was checked above)
            }
        }
        try {
            Set<TrustAnchor> trust = new HashSet<>();
            anchors.forEach(a -> trust.add(new TrustAnchor(a, null)));
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(leaf);
            PKIXBuilderParameters params = new PKIXBuilderParameters(trust, target);
            params.setRevocationEnabled(false);
            params.setMaxPathLength(MAX_PATH_INTERMEDIATES);
            params.setDate(Date.from(at));
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(included)));
            PKIXCertPathBuilderResult built = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params);
            List<X509Certificate> path = new ArrayList<>();
            built.getCertPath().getCertificates().forEach(c -> path.add((X509Certificate) c));
            return Optional.of(new ValidatedPath(List.copyOf(path), built.getTrustAnchor().getTrustedCert()));
        } catch (GeneralSecurityException e) {
            return Optional.empty();
        }
    }

    private static Instant signingTime(SignerInformation signer, Instant now) {
        try {
            if (signer.getSignedAttributes() == null) {
                return now;
            }
            Attribute attr = signer.getSignedAttributes().get(CMSAttributes.signingTime);
            if (attr == null) {
                return now;
            }
            return Time.getInstance(attr.getAttrValues().getObjectAt(0)).getDate().toInstant();
        } catch (RuntimeException e) {
            throw reject("has a malformed signingTime attribute");
        }
    }

    private static X509Certificate certificate(X509CertificateHolder holder) {
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (java.security.cert.CertificateException | RuntimeException e) {
            throw reject("includes a malformed certificate");
        }
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(X509Certificate c) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(encoded(c));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InvalidArgumentException reject(String why) {
        return new InvalidArgumentException(FIELD, why);
    }
}
