package io.escrow.system;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Throwaway test PKI, generated at test time: a CA and certificates it issues, written as PEM. */
final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
    final KeyPair caKey;
    final X509Certificate caCert;
    final Path dir;

    record Issued(Path cert, Path key) {}

    TestPki(Path dir, String caName) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.caKey = ecKey();
        X500Principal name = new X500Principal("CN=" + caName);
        var b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(SERIAL.incrementAndGet()), from(), until(), name, caKey.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        this.caCert = sign(b, caKey);
        write(dir.resolve(caName + "-ca.pem"), caCert);
    }

    /** The CA as a PKCS#12 trust store (password "trust"): the gRPC server requires a trust-store password. */
    Path caTrustStore() throws Exception {
        Path p = dir.resolve("ca-truststore.p12");
        if (!Files.exists(p)) {
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("ca", caCert);
            try (var out = Files.newOutputStream(p)) {
                ks.store(out, "trust".toCharArray());
            }
        }
        return p;
    }

    Path caPem() {
        return dir.resolve(caCert.getSubjectX500Principal().getName().substring(3) + "-ca.pem");
    }

    Issued issue(String fileName, String subject, boolean server) throws Exception {
        return issue(fileName, subject, server, from(), until());
    }

    /** A client certificate whose validity ended a day ago. */
    Issued issueExpired(String fileName, String subject) throws Exception {
        Instant now = Instant.now();
        return issue(fileName, subject, false, Date.from(now.minus(Duration.ofDays(30))), Date.from(now.minus(Duration.ofDays(1))));
    }

    private Issued issue(String fileName, String subject, boolean server, Date notBefore, Date notAfter) throws Exception {
        KeyPair key = ecKey();
        // X500Principal parses RFC 2253 strings into the usual ASN.1 order (CN last), as openssl does.
        var b = new JcaX509v3CertificateBuilder(caCert.getSubjectX500Principal(),
                BigInteger.valueOf(SERIAL.incrementAndGet()), notBefore, notAfter, new X500Principal(subject), key.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        if (server) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        }
        X509Certificate cert = sign(b, caKey);
        Path certFile = dir.resolve(fileName + ".crt");
        Path keyFile = dir.resolve(fileName + ".key");
        write(certFile, cert);
        try (StringWriter sw = new StringWriter(); JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(new JcaPKCS8Generator(key.getPrivate(), null));
            w.flush();
            Files.writeString(keyFile, sw.toString());
        }
        return new Issued(certFile, keyFile);
    }

    /**
     * Writes a CRL of this CA to {@code file}, current for {@code validFor}, listing the
     * certificates issued under those file names; written beside and moved into place.
     */
    Path crl(Path file, Duration validFor, String... revokedFileNames) throws Exception {
        var b = new org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder(caCert.getSubjectX500Principal(),
                Date.from(Instant.now().minus(Duration.ofMinutes(1))));
        b.setNextUpdate(Date.from(Instant.now().plus(validFor)));
        for (String name : revokedFileNames) {
            X509Certificate revoked;
            try (var in = Files.newInputStream(dir.resolve(name + ".crt"))) {
                revoked = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            b.addCRLEntry(revoked.getSerialNumber(), Date.from(Instant.now().minus(Duration.ofMinutes(1))),
                    org.bouncycastle.asn1.x509.CRLReason.keyCompromise);
        }
        var crl = new org.bouncycastle.cert.jcajce.JcaX509CRLConverter().getCRL(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate())));
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        write(tmp, crl);
        return Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, KeyPair signer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    }

    private static void write(Path file, Object pem) throws Exception {
        try (StringWriter sw = new StringWriter(); JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(pem);
            w.flush();
            Files.writeString(file, sw.toString());
        }
    }

    private static Date from() {
        return Date.from(Instant.now().minus(Duration.ofHours(1)));
    }

    private static Date until() {
        return Date.from(Instant.now().plus(Duration.ofDays(2)));
    }
}
