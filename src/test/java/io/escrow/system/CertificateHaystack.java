package io.escrow.system;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * An attacker's approval: a detached CMS signature that verifies with its own signer
 * certificate and carries the most certificates the service accepts, padded to just under the
 * size cap. As a web, its CA certificates share one self-issued name and sign one another, so a
 * path builder sees many candidate issuers up to the path-length limit; as a chain, each CA has
 * its own name (what the service accepts) and the top one names an issuer nobody has. Neither
 * reaches a trust anchor. Built at run time; nothing here is trusted by anything.
 */
final class CertificateHaystack {
    private static final X500Principal WEB = new X500Principal("CN=haystack CA");
    /** A private, meaningless extension that only adds bytes. */
    private static final ASN1ObjectIdentifier PADDING = new ASN1ObjectIdentifier("1.3.6.1.4.1.55555.1");

    private CertificateHaystack() {}

    /** A DER CMS SignedData over {@code content} with {@code certificates} certificates, at most {@code maxBytes} long. */
    static byte[] approval(byte[] content, int certificates, int maxBytes, boolean web) throws Exception {
        for (int padding = maxBytes / certificates; padding > 0; padding -= 256) {
            byte[] der = build(content, certificates, padding, web);
            if (der.length <= maxBytes) {
                return der;
            }
        }
        throw new IllegalStateException("cannot fit " + certificates + " certificates in " + maxBytes + " bytes");
    }

    private static byte[] build(byte[] content, int certificates, int padding, boolean web) throws Exception {
        int cas = certificates - 1;
        List<KeyPair> caKeys = new ArrayList<>();
        for (int i = 0; i < cas; i++) {
            caKeys.add(key());
        }
        List<X509CertificateHolder> chain = new ArrayList<>();
        for (int i = 0; i < cas; i++) {
            chain.add(web ? certificate(WEB, WEB, caKeys.get(i), caKeys.get((i + 1) % cas), true, padding)
                    : certificate(name(i), name(i + 1), caKeys.get(i), key(), true, padding));
        }
        KeyPair signerKey = key();
        X509CertificateHolder signer = certificate(new X500Principal("CN=haystack signer"), web ? WEB : name(0), signerKey,
                caKeys.get(0), false, padding);
        chain.add(0, signer);
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder("SHA384withECDSA").build(signerKey.getPrivate()), signer));
        gen.addCertificates(new JcaCertStore(chain));
        return gen.generate(new CMSProcessableByteArray(content), false).getEncoded("DER");
    }

    private static X500Principal name(int i) {
        return new X500Principal("CN=haystack CA " + i);
    }

    private static X509CertificateHolder certificate(X500Principal subject, X500Principal issuer, KeyPair subjectKey, KeyPair issuerKey,
                                                     boolean ca, int padding) throws Exception {
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, new java.security.SecureRandom()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject, subjectKey.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        b.addExtension(PADDING, false, new DEROctetString(new byte[padding]));
        return b.build(new JcaContentSignerBuilder("SHA384withECDSA").build(issuerKey.getPrivate()));
    }

    /** P-384: each signature the service checks costs it more than a P-256 one would. */
    private static KeyPair key() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp384r1"));
        return g.generateKeyPair();
    }
}
