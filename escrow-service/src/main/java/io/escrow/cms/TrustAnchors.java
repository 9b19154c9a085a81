package io.escrow.cms;

import io.escrow.config.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Named trust anchors: each authority (or custodian) name maps to the CA certificates its signers
 * must chain to, and optionally the CRLs its signers' certificates are checked against. No two
 * names may share an anchor key, or one signature could count for two authorities.
 */
public final class TrustAnchors {
    private final SortedMap<String, List<X509Certificate>> byName;
    private final Map<String, RevocationLists> revocation;

    public TrustAnchors(Map<String, List<X509Certificate>> byName) {
        this(byName, Map.of());
    }

    public TrustAnchors(Map<String, List<X509Certificate>> byName, Map<String, RevocationLists> revocation) {
        this.byName = new TreeMap<>();
        byName.forEach((k, v) -> this.byName.put(k, List.copyOf(v)));
        revocation.keySet().forEach(name -> {
            if (!this.byName.containsKey(name)) {
                throw new ConfigurationException("'" + name + "' has CRLs configured but no trust anchor");
            }
        });
        this.revocation = Map.copyOf(revocation);
        Map<String, String> owner = new TreeMap<>();
        this.byName.forEach((name, certs) -> {
            for (X509Certificate c : certs) {
                String key = java.util.HexFormat.of().formatHex(c.getPublicKey().getEncoded());
                String other = owner.putIfAbsent(key, name);
                if (other != null && !other.equals(name)) {
                    throw new ConfigurationException("'" + other + "' and '" + name + "' use the same trust anchor key ("
                            + c.getSubjectX500Principal().getName() + "): each must have its own CA");
                }
            }
        });
    }

    public static TrustAnchors none() {
        return new TrustAnchors(Map.of());
    }

    /** Reads every certificate of a PEM (or DER) file; {@code what} names the setting for errors. */
    public static List<X509Certificate> readCertificates(String what, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends java.security.cert.Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            List<X509Certificate> out = new ArrayList<>();
            for (var c : certs) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new ConfigurationException(what + ": " + file + " holds no certificate");
            }
            return out;
        } catch (IOException e) {
            throw new ConfigurationException(what + ": cannot read " + file + ": " + e.getMessage());
        } catch (CertificateException e) {
            throw new ConfigurationException(what + ": " + file + " is not a PEM or DER certificate: " + e.getMessage());
        }
    }

    /**
     * Anchors kept as files by a party that checks signatures itself (a custodian agent, a
     * reviewer): {@code <name>.pem} holds the CA certificate(s) of authority {@code <name>}, and
     * an optional {@code <name>.crl} its CRLs (PEM), checked at each verification.
     */
    public static TrustAnchors fromDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ConfigurationException(dir + " is not a directory of <name>.pem anchors");
        }
        Map<String, List<X509Certificate>> anchors = new TreeMap<>();
        Map<String, RevocationLists> crls = new TreeMap<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String file = f.getFileName().toString();
                if (file.endsWith(".pem")) {
                    String name = file.substring(0, file.length() - 4);
                    anchors.put(name, readCertificates(name, f));
                    Path crl = dir.resolve(name + ".crl");
                    if (Files.exists(crl)) {
                        crls.put(name, RevocationLists.fromFile(name + " CRL", crl));
                    }
                }
            }
        } catch (IOException e) {
            throw new ConfigurationException("cannot list " + dir + ": " + e.getMessage());
        }
        if (anchors.isEmpty()) {
            throw new ConfigurationException(dir + " holds no <name>.pem anchor");
        }
        return new TrustAnchors(anchors, crls);
    }

    public SortedMap<String, List<X509Certificate>> byName() {
        return byName;
    }

    /** These anchors restricted to {@code name}, with its CRLs: for a signature that only that name may make. */
    public TrustAnchors only(String name) {
        List<X509Certificate> certs = byName.get(name);
        if (certs == null) {
            throw new IllegalArgumentException("no trust anchor named " + name);
        }
        return new TrustAnchors(Map.of(name, certs), revocation.containsKey(name) ? Map.of(name, revocation.get(name)) : Map.of());
    }

    /** The CRLs of {@code name}'s signers, when configured; without them revocation is not checked. */
    public java.util.Optional<RevocationLists> revocation(String name) {
        return java.util.Optional.ofNullable(revocation.get(name));
    }

    public java.util.Set<String> names() {
        return byName.keySet();
    }

    public boolean isEmpty() {
        return byName.isEmpty();
    }

    @Override
    public String toString() {
        return "TrustAnchors" + byName.keySet() + (revocation.isEmpty() ? "" : ", CRLs for " + new TreeMap<>(revocation).keySet());
    }
}
