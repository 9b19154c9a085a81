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
 * must chain to. No two names may share an anchor key, or one signature could count for two
 * authorities.
 */
public final class TrustAnchors {
    private final SortedMap<String, List<X509Certificate>> byName;

    public TrustAnchors(Map<String, List<X509Certificate>> byName) {
        this.byName = new TreeMap<>();
        byName.forEach((k, v) -> this.byName.put(k, List.copyOf(v)));
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

    public SortedMap<String, List<X509Certificate>> byName() {
        return byName;
    }

    public java.util.Set<String> names() {
        return byName.keySet();
    }

    public boolean isEmpty() {
        return byName.isEmpty();
    }

    @Override
    public String toString() {
        return "TrustAnchors" + byName.keySet();
    }
}
