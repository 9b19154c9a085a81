package io.escrow.testing;

import io.escrow.cms.CertificateIssuer.Issued;
import io.escrow.cms.PemFiles;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** CRLs for tests, issued with Bouncy Castle as a CA would. */
public final class TestCrls {
    private TestCrls() {}

    /** A CRL of {@code issuer} listing each certificate with its revocation time, reason keyCompromise. */
    public static X509CRL issue(Issued issuer, Instant thisUpdate, Instant nextUpdate, Map<X509Certificate, Instant> revoked) {
        return issue(issuer.certificate().getSubjectX500Principal(), issuer.privateKey(), thisUpdate, nextUpdate, revoked, false);
    }

    /** A CRL under any name and key: a forgery when they do not belong together; a delta CRL when {@code delta}. */
    public static X509CRL issue(X500Principal issuerName, PrivateKey key, Instant thisUpdate, Instant nextUpdate,
                         Map<X509Certificate, Instant> revoked, boolean delta) {
        try {
            X509v2CRLBuilder b = new JcaX509v2CRLBuilder(issuerName, Date.from(thisUpdate));
            if (nextUpdate != null) {
                b.setNextUpdate(Date.from(nextUpdate));
            }
            revoked.forEach((cert, at) -> b.addCRLEntry(cert.getSerialNumber(), Date.from(at), CRLReason.keyCompromise));
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(thisUpdate.getEpochSecond())));
            if (delta) {
                b.addExtension(Extension.deltaCRLIndicator, true, new CRLNumber(BigInteger.ONE));
            }
            return new JcaX509CRLConverter().getCRL(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path write(Path file, X509CRL... crls) throws Exception {
        StringBuilder pem = new StringBuilder();
        for (X509CRL crl : crls) {
            pem.append(PemFiles.pem(crl));
        }
        return Files.writeString(file, pem);
    }
}
