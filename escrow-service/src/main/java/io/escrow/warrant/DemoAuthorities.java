package io.escrow.warrant;

import io.escrow.cms.CertificateIssuer;
import io.escrow.cms.CertificateIssuer.Issued;
import io.escrow.cms.CmsSigner;
import io.escrow.cms.PemFiles;
import io.escrow.cms.TrustAnchors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Development only: two demo authorities, {@code court} and {@code ministry}, each with a CA and
 * one signer, generated once under {@code <data-dir>/demo-authorities/<name>/}:
 * {@code ca.pem} (the trust anchor), {@code signer.pem} and {@code signer.key} (mode 0600), so
 * that {@code escrowctl warrant sign} and the {@code demo} command can approve warrants locally.
 */
public final class DemoAuthorities {
    public static final List<String> NAMES = List.of("court", "ministry");

    private DemoAuthorities() {}

    public static Path dir(Path dataDir) {
        return dataDir.resolve("demo-authorities");
    }

    public static Path signerCertificate(Path dataDir, String name) {
        return dir(dataDir).resolve(name).resolve("signer.pem");
    }

    public static Path signerKey(Path dataDir, String name) {
        return dir(dataDir).resolve(name).resolve("signer.key");
    }

    /** A detached CMS signature over {@code content} by the demo signer {@code name}, as that signer would make it. */
    public static byte[] sign(Path dataDir, String name, byte[] content) throws IOException {
        return CmsSigner.signDetached(content, PemFiles.readPrivateKey(signerKey(dataDir, name)), null,
                TrustAnchors.readCertificates(name, signerCertificate(dataDir, name)));
    }

    /** Creates any missing demo authority and returns the anchors of all of them. */
    public static TrustAnchors ensure(Path dataDir, Consumer<String> log) {
        return ensure(dataDir, NAMES, log);
    }

    /**
     * Creates any missing demo CA and signer for {@code names} (authorities, or custodians for the
     * consent step of the demo) and returns their anchors.
     */
    public static TrustAnchors ensure(Path dataDir, List<String> names, Consumer<String> log) {
        Map<String, List<X509Certificate>> anchors = new TreeMap<>();
        for (String name : names) {
            Path d = dir(dataDir).resolve(name);
            Path ca = d.resolve("ca.pem");
            if (!Files.exists(ca)) {
                create(d, name);
                log.accept("Created demo signer '" + name + "' (development only): trust anchor " + ca
                        + ", signer " + d.resolve("signer.pem") + " with key " + d.resolve("signer.key"));
            }
            anchors.put(name, TrustAnchors.readCertificates("demo authority " + name, ca));
        }
        return new TrustAnchors(anchors);
    }

    private static synchronized void create(Path d, String name) {
        try {
            Files.createDirectories(d);
            Instant now = Instant.now();
            Issued ca = CertificateIssuer.selfSignedCa("CN=Demo " + name + " CA,O=Escrow development", now.minus(Duration.ofDays(1)),
                    now.plus(Duration.ofDays(3650)));
            Issued signer = CertificateIssuer.issue(ca, "CN=Demo " + name + " signer,O=Escrow development",
                    now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(825)), false);
            Path key = d.resolve("signer.key");
            Files.deleteIfExists(key);
            Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(key, PemFiles.pem(signer.privateKey()));
            Files.writeString(d.resolve("signer.pem"), PemFiles.pem(signer.certificate()));
            // The anchor last: its presence means the directory is complete.
            Files.writeString(d.resolve("ca.pem.tmp"), PemFiles.pem(ca.certificate()));
            Files.move(d.resolve("ca.pem.tmp"), d.resolve("ca.pem"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create demo authority " + name + " under " + d, e);
        }
    }
}
