package io.escrow.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.cms.CertificateIssuer;
import io.escrow.cms.CertificateIssuer.Issued;
import io.escrow.cms.PemFiles;
import io.escrow.cms.RevocationLists;
import io.escrow.config.ConfigurationException;
import io.escrow.testing.TestCrls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientRevocationTest {
    private static final Instant NOW = Instant.now();
    private static final Issued ROOT = CertificateIssuer.selfSignedCa("CN=Clients Root", NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(30)));
    private static final Issued ISSUING = CertificateIssuer.issue(ROOT, "CN=Clients Issuing", NOW.minus(Duration.ofDays(1)),
            NOW.plus(Duration.ofDays(30)), true);
    private static final Issued ACME = CertificateIssuer.issue(ROOT, "CN=acme", NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(30)), false);
    private static final Issued AGENCY = CertificateIssuer.issue(ISSUING, "CN=agency", NOW.minus(Duration.ofDays(1)),
            NOW.plus(Duration.ofDays(30)), false);

    @TempDir
    Path dir;

    private ClientRevocation revocation(Instant nextUpdate, Map<X509Certificate, Instant> rootRevokes, Map<X509Certificate, Instant> issuingRevokes)
            throws Exception {
        Path file = TestCrls.write(dir.resolve("clients.crl"),
                TestCrls.issue(ROOT, NOW.minus(Duration.ofHours(1)), nextUpdate, rootRevokes),
                TestCrls.issue(ISSUING, NOW.minus(Duration.ofHours(1)), nextUpdate, issuingRevokes));
        return new ClientRevocation(RevocationLists.fromFile("escrow.tls.client-crl", file), List.of(ROOT.certificate()));
    }

    @Test
    void problem_ofUnlistedClients_isEmpty_whetherTheySendTheirIntermediateOrNot() throws Exception {
        ClientRevocation r = revocation(NOW.plus(Duration.ofDays(1)), Map.of(), Map.of());
        assertEquals(Optional.empty(), r.problem(new Certificate[] {ACME.certificate()}, NOW));
        assertEquals(Optional.empty(), r.problem(new Certificate[] {AGENCY.certificate(), ISSUING.certificate()}, NOW));
        assertEquals(Optional.empty(), r.problem(new Certificate[] {ACME.certificate(), ROOT.certificate()}, NOW));
    }

    @Test
    void problem_ofARevokedClient_orOfItsRevokedIssuingCa_isRevoked() throws Exception {
        ClientRevocation acmeRevoked = revocation(NOW.plus(Duration.ofDays(1)), Map.of(ACME.certificate(), NOW), Map.of());
        RevocationLists.Problem p = acmeRevoked.problem(new Certificate[] {ACME.certificate()}, NOW).orElseThrow();
        assertTrue(p.revoked());
        assertTrue(p.message().startsWith("certificate 'CN=acme' was revoked by 'CN=Clients Root'"), p.message());

        ClientRevocation issuingRevoked = revocation(NOW.plus(Duration.ofDays(1)), Map.of(ISSUING.certificate(), NOW), Map.of());
        assertTrue(issuingRevoked.problem(new Certificate[] {AGENCY.certificate(), ISSUING.certificate()}, NOW).orElseThrow().revoked());
    }

    @Test
    void problem_withAnOutOfDateCrl_failsClosed() throws Exception {
        ClientRevocation r = revocation(NOW.minus(Duration.ofMinutes(10)), Map.of(), Map.of());
        RevocationLists.Problem p = r.problem(new Certificate[] {ACME.certificate()}, NOW).orElseThrow();
        assertFalse(p.revoked());
        assertTrue(p.message().contains("is not current"), p.message());
    }

    @Test
    void problem_ofAChainWhoseIssuerIsNotTrusted_failsClosed() throws Exception {
        ClientRevocation r = revocation(NOW.plus(Duration.ofDays(1)), Map.of(), Map.of());
        assertFalse(r.problem(new Certificate[] {AGENCY.certificate()}, NOW).orElseThrow().revoked());
    }

    @Test
    void trustedCertificates_readsPkcs12AndPem_andNamesTheSettingWhenItCannot() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("root", ROOT.certificate());
        Path p12 = dir.resolve("trust.p12");
        try (var out = Files.newOutputStream(p12)) {
            ks.store(out, "trust".toCharArray());
        }
        assertEquals(List.of(ROOT.certificate()), ClientRevocation.trustedCertificates(p12, "pkcs12", "trust"));
        Path pem = Files.writeString(dir.resolve("trust.pem"), PemFiles.pem(ROOT.certificate()));
        assertEquals(List.of(ROOT.certificate()), ClientRevocation.trustedCertificates(pem, "PEM", ""));
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> ClientRevocation.trustedCertificates(p12, "pkcs12", "wrong"));
        assertTrue(e.getMessage().contains("quarkus.grpc.server.ssl.trust-store: cannot read"), e.getMessage());
    }
}
