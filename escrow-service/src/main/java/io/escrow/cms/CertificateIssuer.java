package io.escrow.cms;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Issues small X.509 certificates with P-256 keys: CAs and signers for the development demo
 * authorities, and for tests. Production authorities bring their own PKI.
 */
public final class CertificateIssuer {
    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateIssuer() {}

    /** A certificate with its private key. */
    public record Issued(X509Certificate certificate, PrivateKey privateKey) {
        @Override
        public String toString() {
            return "Issued[" + certificate.getSubjectX500Principal().getName() + ", key=redacted]";
        }
    }

    public static KeyPair newP256KeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A self-signed CA. */
    public static Issued selfSignedCa(String subjectDn, Instant notBefore, Instant notAfter) {
        KeyPair kp = newP256KeyPair();
        X500Principal subject = new X500Principal(subjectDn);
        return new Issued(build(subject, kp.getPublic(), subject, kp.getPrivate(), null, notBefore, notAfter, true), kp.getPrivate());
    }

    /** A certificate for {@code subjectDn} signed by {@code issuer}; a CA when {@code ca}. */
    public static Issued issue(Issued issuer, String subjectDn, Instant notBefore, Instant notAfter, boolean ca) {
        KeyPair kp = newP256KeyPair();
        return new Issued(build(new X500Principal(subjectDn), kp.getPublic(), issuer.certificate().getSubjectX500Principal(),
                issuer.privateKey(), issuer.certificate().getPublicKey(), notBefore, notAfter, ca), kp.getPrivate());
    }

    private static X509Certificate build(X500Principal subject, PublicKey key, X500Principal issuer, PrivateKey issuerKey,
                                         PublicKey issuerPublic, Instant notBefore, Instant notAfter, boolean ca) {
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM).add(BigInteger.ONE),
                    Date.from(notBefore), Date.from(notAfter), subject, key)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(ca))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(ca
                            ? KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature
                            : KeyUsage.digitalSignature | KeyUsage.nonRepudiation))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key));
            if (issuerPublic != null) {
                b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerPublic));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
        } catch (Exception e) {
            throw new IllegalStateException("certificate issuance failed: " + e.getMessage(), e);
        }
    }
}
