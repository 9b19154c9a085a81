package io.escrow.testing;

import io.escrow.cms.CertificateIssuer;
import io.escrow.cms.CertificateIssuer.Issued;
import io.escrow.cms.PemFiles;
import io.escrow.cms.TrustAnchors;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Throwaway PKI for one test run: CAs for {@code court} and {@code ministry} (configured as the
 * service's authorities), {@code rogue} (not configured) and {@code custodian-1..3} (configured as
 * custodians by {@code ConsentProfile}), each with a signer, written
 * under target/test-pki. Tests load keys from the files, so they work from any class loader.
 */
public final class TestAuthorities implements QuarkusTestResourceLifecycleManager {
    public static final Path DIR = Path.of("target", "test-pki").toAbsolutePath();
    public static final List<String> CONFIGURED = List.of("court", "ministry");

    @Override
    public Map<String, String> start() {
        for (String name : List.of("court", "ministry", "rogue", "custodian-1", "custodian-2", "custodian-3")) {
            if (!Files.exists(DIR.resolve(name).resolve("signer.pem"))) {
                create(name);
            }
        }
        publishCrl("ministry", Instant.now().plus(Duration.ofDays(7)));
        return Map.of(
                "escrow.authorities.court.trust-anchor", DIR.resolve("court/ca.pem").toString(),
                "escrow.authorities.ministry.trust-anchor", DIR.resolve("ministry/ca.pem").toString(),
                "escrow.authorities.ministry.crl", crlFile("ministry").toString());
    }

    /** The CRL file of {@code name} (configured for the ministry only, so the court runs without CRLs). */
    public static Path crlFile(String name) {
        return DIR.resolve(name).resolve("crl.pem");
    }

    /** Publishes a fresh CRL of {@code name}'s CA, current until {@code nextUpdate}, listing {@code revoked}. */
    public static void publishCrl(String name, Instant nextUpdate, X509Certificate... revoked) {
        Map<X509Certificate, Instant> entries = new java.util.HashMap<>();
        for (X509Certificate c : revoked) {
            entries.put(c, Instant.now().minusSeconds(60));
        }
        try {
            // Written beside and moved into place, as an operator's CRL refresh would be.
            Path tmp = TestCrls.write(DIR.resolve(name).resolve("crl.pem.new"),
                    TestCrls.issue(ca(name), Instant.now().minus(Duration.ofMinutes(1)), nextUpdate, entries));
            Files.move(tmp, crlFile(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {}

    private static void create(String name) {
        Instant now = Instant.now();
        Issued ca = CertificateIssuer.selfSignedCa("CN=Test " + name + " CA", now.minus(Duration.ofDays(2)), now.plus(Duration.ofDays(30)));
        Issued signer = CertificateIssuer.issue(ca, "CN=Test " + name + " judge", now.minus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(30)), false);
        Path d = DIR.resolve(name);
        try {
            Files.createDirectories(d);
            Files.writeString(d.resolve("ca.key"), PemFiles.pem(ca.privateKey()));
            Files.writeString(d.resolve("signer.key"), PemFiles.pem(signer.privateKey()));
            Files.writeString(d.resolve("signer.pem"), PemFiles.pem(signer.certificate()));
            Files.writeString(d.resolve("ca.pem"), PemFiles.pem(ca.certificate()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Issued ca(String name) {
        return load(name, "ca");
    }

    public static Issued signer(String name) {
        return load(name, "signer");
    }

    public static Path signerCertificateFile(String name) {
        return DIR.resolve(name).resolve("signer.pem");
    }

    public static Path signerKeyFile(String name) {
        return DIR.resolve(name).resolve("signer.key");
    }

    /** A further signer certificate issued by {@code name}'s CA, valid over [notBefore, notAfter]. */
    public static Issued issueSigner(String name, String cn, Instant notBefore, Instant notAfter) {
        return CertificateIssuer.issue(ca(name), "CN=" + cn, notBefore, notAfter, false);
    }

    private static Issued load(String name, String which) {
        Path d = DIR.resolve(name);
        try {
            X509Certificate cert = TrustAnchors.readCertificates(name, d.resolve(which + ".pem")).get(0);
            PrivateKey key = PemFiles.readPrivateKey(d.resolve(which + ".key"));
            return new Issued(cert, key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
