package io.escrow.cms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.cms.CertificateIssuer.Issued;
import io.escrow.config.ConfigurationException;
import io.escrow.error.InvalidArgumentException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import io.escrow.testing.TestCrls;
import org.junit.jupiter.api.Test;

/** The verifier's rules on in-memory PKIs; the gRPC tests cover the same errors end to end. */
class CmsSignatureVerifierTest {
    private static final byte[] CONTENT = "escrow/v1/warrant\nwarrant_id=w-x\n".getBytes(StandardCharsets.UTF_8);
    private static final Instant NOW = Instant.now();
    private static final Issued CA = CertificateIssuer.selfSignedCa("CN=Court CA", NOW.minus(Duration.ofDays(10)), NOW.plus(Duration.ofDays(100)));
    private static final Issued SIGNER = CertificateIssuer.issue(CA, "CN=Judge", NOW.minus(Duration.ofDays(5)), NOW.plus(Duration.ofDays(50)), false);
    private static final TrustAnchors ANCHORS = new TrustAnchors(Map.of("court", List.of(CA.certificate())));

    private static VerifiedSignature verify(byte[] cms) {
        return CmsSignatureVerifier.verify(cms, CONTENT, ANCHORS, NOW.minus(Duration.ofHours(1)), NOW);
    }

    /** A detached signature with a chosen signing time (null: no signingTime attribute) and certificates. */
    private static byte[] sign(Issued signer, Instant signingTime, List<java.security.cert.X509Certificate> certs) throws Exception {
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        JcaSignerInfoGeneratorBuilder b = new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build());
        ASN1EncodableVector attrs = new ASN1EncodableVector();
        if (signingTime != null) {
            attrs.add(new Attribute(CMSAttributes.signingTime, new DERSet(new Time(Date.from(signingTime)))));
        }
        b.setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(new AttributeTable(attrs)) {
            @Override
            protected java.util.Hashtable createStandardAttributeTable(Map parameters) {
                java.util.Hashtable t = super.createStandardAttributeTable(parameters);
                if (signingTime == null) {
                    t.remove(CMSAttributes.signingTime);
                }
                return t;
            }
        });
        gen.addSignerInfoGenerator(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.privateKey()), signer.certificate()));
        gen.addCertificates(new JcaCertStore(certs));
        return gen.generate(new CMSProcessableByteArray(CONTENT), false).getEncoded();
    }

    @Test
    void verify_signatureFromSigner_namesAuthoritySignerAndTime() throws Exception {
        Instant at = NOW.minusSeconds(30).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        VerifiedSignature v = verify(sign(SIGNER, at, List.of(SIGNER.certificate())));
        assertEquals("court", v.name());
        assertEquals("CN=Judge", v.signer());
        assertEquals(at, v.signingTime());
    }

    /**
     * Found by fuzzing: Bouncy Castle decodes embedded certificates lazily and threw an unchecked
     * IllegalArgumentException for one whose signatureAlgorithm is a SET, which reached the caller
     * as INTERNAL. It is now an invalid cms_signature like any other malformed encoding.
     */
    @Test
    void verify_withAMalformedEmbeddedCertificate_isInvalid() throws Exception {
        byte[] good = sign(SIGNER, null, List.of(SIGNER.certificate()));
        org.bouncycastle.asn1.cms.ContentInfo info = org.bouncycastle.asn1.cms.ContentInfo.getInstance(good);
        org.bouncycastle.asn1.cms.SignedData sd = org.bouncycastle.asn1.cms.SignedData.getInstance(info.getContent());
        org.bouncycastle.asn1.ASN1Sequence cert = (org.bouncycastle.asn1.ASN1Sequence) sd.getCertificates().getObjectAt(0);
        org.bouncycastle.asn1.ASN1Sequence broken = new org.bouncycastle.asn1.DERSequence(new org.bouncycastle.asn1.ASN1Encodable[] {
                cert.getObjectAt(0), new DERSet(cert.getObjectAt(1)), cert.getObjectAt(2)});
        org.bouncycastle.asn1.cms.SignedData bad = new org.bouncycastle.asn1.cms.SignedData(sd.getDigestAlgorithms(),
                sd.getEncapContentInfo(), new DERSet(broken), sd.getCRLs(), sd.getSignerInfos());
        byte[] cms = new org.bouncycastle.asn1.cms.ContentInfo(info.getContentType(), bad).getEncoded("DER");

        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> verify(cms));
        assertTrue(e.getMessage().startsWith("cms_signature: "), e.getMessage());
    }

    /** A signature is not a haystack: more certificates than a signer and its intermediates need are refused before any path search. */
    @Test
    void verify_withTooManyCertificates_isInvalid() throws Exception {
        List<java.security.cert.X509Certificate> certs = new java.util.ArrayList<>(List.of(SIGNER.certificate()));
        for (int i = 0; i < CmsSignatureVerifier.MAX_CERTIFICATES; i++) {
            certs.add(CertificateIssuer.selfSignedCa("CN=Filler " + i, NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1))).certificate());
        }
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> verify(sign(SIGNER, null, certs)));
        assertTrue(e.getMessage().contains("at most " + CmsSignatureVerifier.MAX_CERTIFICATES), e.getMessage());
    }

    /** Two certificates under one name would make the path search branch; such a bundle is refused before any search. */
    @Test
    void verify_withTwoCertificatesOfOneName_isInvalid() throws Exception {
        Issued twin = CertificateIssuer.selfSignedCa("CN=Court CA", NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> verify(sign(SIGNER, null, List.of(SIGNER.certificate(), CA.certificate(), twin.certificate()))));
        assertTrue(e.getMessage().contains("more than one certificate named 'CN=Court CA'"), e.getMessage());
        assertEquals("court", verify(sign(SIGNER, null, List.of(SIGNER.certificate(), CA.certificate()))).name(),
                "the signer and its anchor, each once, still pass");
    }

    @Test
    void verify_pathLongerThanAllowed_doesNotChain() throws Exception {
        Issued issuer = CA;
        List<java.security.cert.X509Certificate> chain = new java.util.ArrayList<>();
        for (int i = 0; i <= CmsSignatureVerifier.MAX_PATH_INTERMEDIATES; i++) {
            issuer = CertificateIssuer.issue(issuer, "CN=Sub CA " + i, NOW.minus(Duration.ofDays(5)), NOW.plus(Duration.ofDays(50)), true);
            chain.add(0, issuer.certificate());
        }
        Issued deep = CertificateIssuer.issue(issuer, "CN=Deep Clerk", NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(5)), false);
        chain.add(0, deep.certificate());
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> verify(sign(deep, null, chain)));
        assertTrue(e.getMessage().contains("does not chain"), e.getMessage());
        Issued shallowIssuer = CertificateIssuer.issue(CA, "CN=Only Sub CA", NOW.minus(Duration.ofDays(5)), NOW.plus(Duration.ofDays(50)), true);
        Issued shallow = CertificateIssuer.issue(shallowIssuer, "CN=Shallow Clerk", NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(5)), false);
        assertEquals("court", verify(sign(shallow, null, List.of(shallow.certificate(), shallowIssuer.certificate()))).name());
    }

    @Test
    void verify_withoutSigningTime_usesNow() throws Exception {
        assertEquals(NOW, verify(sign(SIGNER, null, List.of(SIGNER.certificate()))).signingTime());
    }

    @Test
    void verify_throughAnIntermediateIncludedInTheCms_chains() throws Exception {
        Issued intermediate = CertificateIssuer.issue(CA, "CN=Court Sub CA", NOW.minus(Duration.ofDays(5)), NOW.plus(Duration.ofDays(50)), true);
        Issued clerk = CertificateIssuer.issue(intermediate, "CN=Clerk", NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(5)), false);
        assertEquals("court", verify(sign(clerk, null, List.of(clerk.certificate(), intermediate.certificate()))).name());
        InvalidArgumentException missing = assertThrows(InvalidArgumentException.class,
                () -> verify(sign(clerk, null, List.of(clerk.certificate()))));
        assertTrue(missing.getMessage().contains("does not chain"), missing.getMessage());
    }

    @Test
    void verify_signingTimeInTheFutureOrBeforeTheBytesExisted_isRejected() throws Exception {
        InvalidArgumentException future = assertThrows(InvalidArgumentException.class,
                () -> verify(sign(SIGNER, NOW.plus(Duration.ofHours(1)), List.of(SIGNER.certificate()))));
        assertTrue(future.getMessage().contains("in the future"), future.getMessage());
        InvalidArgumentException backdated = assertThrows(InvalidArgumentException.class,
                () -> verify(sign(SIGNER, NOW.minus(Duration.ofDays(2)), List.of(SIGNER.certificate()))));
        assertTrue(backdated.getMessage().contains("before the signed bytes existed"), backdated.getMessage());
    }

    @Test
    void verify_withoutTheSignerCertificate_isRejected() throws Exception {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> verify(sign(SIGNER, null, List.of())));
        assertTrue(e.getMessage().contains("must include the signer's certificate"), e.getMessage());
    }

    @Test
    void verify_byACaCertificateWithoutSigningKeyUsage_isRejected() throws Exception {
        Issued subCa = CertificateIssuer.issue(CA, "CN=Not a signer", NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(5)), true);
        // A CA certificate carries keyCertSign|cRLSign|digitalSignature here, so it passes the usage check;
        // one with only keyCertSign would not. The chain still has to hold.
        assertEquals("court", verify(sign(subCa, null, List.of(subCa.certificate()))).name());
    }

    @Test
    void verify_oversizedOrEmpty_isRejectedBeforeParsing() {
        assertThrows(InvalidArgumentException.class, () -> verify(new byte[CmsSignatureVerifier.MAX_BYTES + 1]));
        assertThrows(InvalidArgumentException.class, () -> verify(new byte[0]));
        assertThrows(InvalidArgumentException.class, () -> verify(null));
    }

    @Test
    void trustAnchors_sharedBetweenTwoAuthorities_isAConfigurationError() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> new TrustAnchors(Map.of("court", List.of(CA.certificate()), "ministry", List.of(CA.certificate()))));
        assertTrue(e.getMessage().contains("same trust anchor"), e.getMessage());
    }

    /**
     * With the court's CRLs configured, an approval by a revoked judge is refused even when it
     * claims a signing time before the revocation: a stolen key could claim any time.
     */
    @Test
    void verify_byASignerTheCourtsCrlRevoked_isRejected_whateverItsClaimedSigningTime(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        Instant signed = NOW.minus(Duration.ofMinutes(30));
        java.nio.file.Path clean = TestCrls.write(dir.resolve("clean.crl"),
                TestCrls.issue(CA, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(1)), Map.of()));
        java.nio.file.Path revoking = TestCrls.write(dir.resolve("revoking.crl"),
                TestCrls.issue(CA, NOW.minus(Duration.ofMinutes(5)), NOW.plus(Duration.ofDays(1)),
                        Map.of(SIGNER.certificate(), NOW.minus(Duration.ofMinutes(10)))));
        byte[] cms = sign(SIGNER, signed, List.of(SIGNER.certificate()));
        TrustAnchors withClean = new TrustAnchors(Map.of("court", List.of(CA.certificate())),
                Map.of("court", RevocationLists.fromFile("court crl", clean)));
        assertEquals("court", CmsSignatureVerifier.verify(cms, CONTENT, withClean, NOW.minus(Duration.ofHours(1)), NOW).name());

        TrustAnchors withRevoking = new TrustAnchors(Map.of("court", List.of(CA.certificate())),
                Map.of("court", RevocationLists.fromFile("court crl", revoking)));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> CmsSignatureVerifier.verify(cms, CONTENT, withRevoking, NOW.minus(Duration.ofHours(1)), NOW));
        assertTrue(e.getMessage().startsWith("cms_signature: certificate 'CN=Judge' was revoked by 'CN=Court CA'"), e.getMessage());
    }

    @Test
    void trustAnchors_withCrlsForAnUnknownName_isAConfigurationError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        RevocationLists crls = RevocationLists.fromFile("crl", TestCrls.write(dir.resolve("c.crl"),
                TestCrls.issue(CA, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(1)), Map.of())));
        assertThrows(ConfigurationException.class,
                () -> new TrustAnchors(Map.of("court", List.of(CA.certificate())), Map.of("ministry", crls)));
    }

    @Test
    void trustAnchors_only_keepsThatNamesCrls(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Issued ministryCa = CertificateIssuer.selfSignedCa("CN=Ministry CA", NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)));
        RevocationLists revoking = RevocationLists.fromFile("court crl", TestCrls.write(dir.resolve("c.crl"),
                TestCrls.issue(CA, NOW.minus(Duration.ofMinutes(5)), NOW.plus(Duration.ofDays(1)), Map.of(SIGNER.certificate(), NOW))));
        TrustAnchors both = new TrustAnchors(Map.of("court", List.of(CA.certificate()), "ministry", List.of(ministryCa.certificate())),
                Map.of("court", revoking));
        TrustAnchors court = both.only("court");
        assertEquals(java.util.Set.of("court"), court.names());
        assertEquals(revoking, court.revocation("court").orElseThrow());
        assertTrue(both.only("ministry").revocation("ministry").isEmpty());
        byte[] cms = sign(SIGNER, null, List.of(SIGNER.certificate()));
        assertThrows(InvalidArgumentException.class, () -> CmsSignatureVerifier.verify(cms, CONTENT, court, NOW.minus(Duration.ofHours(1)), NOW));
        assertThrows(IllegalArgumentException.class, () -> both.only("police"));
    }
}
