package io.escrow.transport;

import io.escrow.cms.RevocationLists;
import io.escrow.cms.TrustAnchors;
import io.escrow.config.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;

/**
 * Revocation of TLS client certificates ({@code escrow.tls.client-crl}): the CRLs of the CAs in
 * the gRPC server's client trust store. The TLS handshake has already validated the chain; this
 * checks its certificates against their issuers' CRLs, with the trust store's CA certificates as
 * the keys the CRLs must be signed with.
 */
final class ClientRevocation {
    private final RevocationLists crls;
    private final List<X509Certificate> trusted;

    ClientRevocation(RevocationLists crls, List<X509Certificate> trusted) {
        this.crls = crls;
        this.trusted = List.copyOf(trusted);
    }

    /** Configured when {@code escrow.tls.client-crl} is set; it needs the server's client trust store. */
    static Optional<ClientRevocation> load(Config config) {
        Optional<String> file = config.getOptionalValue("escrow.tls.client-crl", String.class).map(String::strip).filter(v -> !v.isEmpty());
        if (file.isEmpty()) {
            return Optional.empty();
        }
        RevocationLists crls = RevocationLists.fromFile("escrow.tls.client-crl", Path.of(file.get()));
        Path store = config.getOptionalValue("quarkus.grpc.server.ssl.trust-store", String.class).map(Path::of)
                .orElseThrow(() -> new ConfigurationException("escrow.tls.client-crl needs quarkus.grpc.server.ssl.trust-store"));
        String type = config.getOptionalValue("quarkus.grpc.server.ssl.trust-store-type", String.class).orElse("pkcs12");
        String password = config.getOptionalValue("quarkus.grpc.server.ssl.trust-store-password", String.class).orElse("");
        return Optional.of(new ClientRevocation(crls, trustedCertificates(store, type, password)));
    }

    RevocationLists lists() {
        return crls;
    }

    /** The CA certificates of a PKCS#12 or JKS trust store, or of a PEM file. */
    static List<X509Certificate> trustedCertificates(Path store, String type, String password) {
        if (type.equalsIgnoreCase("pem")) {
            return TrustAnchors.readCertificates("quarkus.grpc.server.ssl.trust-store", store);
        }
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore ks = KeyStore.getInstance(type.toUpperCase(Locale.ROOT));
            ks.load(in, password.toCharArray());
            List<X509Certificate> out = new ArrayList<>();
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.getCertificate(alias) instanceof X509Certificate c) {
                    out.add(c);
                }
            }
            if (out.isEmpty()) {
                throw new ConfigurationException("quarkus.grpc.server.ssl.trust-store: " + store + " holds no certificate");
            }
            return out;
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigurationException("quarkus.grpc.server.ssl.trust-store: cannot read " + store + " as " + type + ": "
                    + e.getMessage());
        }
    }

    /**
     * What is wrong with the peer's chain, if anything: the certificates the client sent up to the
     * first one that is itself trusted, each checked against its issuer's CRL.
     */
    Optional<RevocationLists.Problem> problem(Certificate[] peerChain, Instant now) {
        List<X509Certificate> path = new ArrayList<>();
        for (Certificate c : peerChain) {
            if (!(c instanceof X509Certificate x) || isTrusted(x)) {
                break;
            }
            path.add(x);
        }
        if (path.isEmpty()) {
            return Optional.empty();
        }
        X509Certificate last = path.get(path.size() - 1);
        Optional<X509Certificate> anchor = trusted.stream().filter(t -> issued(t, last)).findFirst();
        if (anchor.isEmpty()) {
            return Optional.of(new RevocationLists.Problem(false, "the revocation of client certificate '"
                    + last.getSubjectX500Principal().getName() + "' cannot be checked: its issuer is not in the trust store"));
        }
        return crls.problem(path, anchor.get(), now);
    }

    private boolean isTrusted(X509Certificate c) {
        return trusted.stream().anyMatch(t -> {
            try {
                return Arrays.equals(t.getEncoded(), c.getEncoded());
            } catch (GeneralSecurityException e) {
                return false;
            }
        });
    }

    private static boolean issued(X509Certificate issuer, X509Certificate cert) {
        if (!issuer.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
            return false;
        }
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
