package io.escrow.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.config.ConfigurationException;
import io.escrow.config.EscrowSettings;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

/** Plaintext only in the embedded development default; TLS must be client-authenticated and mapped. */
class TransportSettingsTest {
    private static final Map<String, String> TLS = Map.of(
            "quarkus.grpc.server.ssl.certificate", "/etc/escrow/tls.crt",
            "quarkus.grpc.server.plain-text", "false",
            "quarkus.grpc.server.ssl.client-auth", "REQUIRED");

    private static Config config(Map<String, String> props) {
        return new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(props, "test", 500)).build();
    }

    private static EscrowSettings settings(String mode) {
        Map<String, String> p = new HashMap<>(Map.of("escrow.hsm.mode", mode, "escrow.data-dir", "/tmp/x"));
        if (mode.equals("pkcs11")) {
            p.putAll(Map.of("escrow.hsm.custodians", "a,b", "escrow.hsm.token.audit.pin-env", "C"));
        }
        return EscrowSettings.load(k -> Optional.ofNullable(p.get(k)));
    }

    @Test
    void embeddedWithoutTls_usesTheDevelopmentIdentity() {
        assertTrue(new TransportSettings(settings("embedded"), config(Map.of())).developmentIdentity());
    }

    @Test
    void productionWithoutTls_isRefused() {
        var e = assertThrows(ConfigurationException.class, () -> new TransportSettings(settings("pkcs11"), config(Map.of())));
        assertTrue(e.getMessage().contains("TLS with client certificates is required"), e.getMessage());
    }

    @Test
    void tlsWithPlainTextOrOptionalClientAuth_isRefused() {
        Map<String, String> plain = new HashMap<>(TLS);
        plain.remove("quarkus.grpc.server.plain-text");
        assertThrows(ConfigurationException.class, () -> new TransportSettings(settings("pkcs11"), config(plain)));
        Map<String, String> optional = new HashMap<>(TLS);
        optional.put("quarkus.grpc.server.ssl.client-auth", "REQUEST");
        assertTrue(assertThrows(ConfigurationException.class, () -> new TransportSettings(settings("pkcs11"), config(optional)))
                .getMessage().contains("client-auth must be REQUIRED"));
    }

    @Test
    void clientMapping_withBadRoleOrMissingSubject_isRefusedNamingTheKey() {
        Map<String, String> p = new HashMap<>(TLS);
        p.put("escrow.tls.client-names", "acme");
        p.put("escrow.tls.client.acme.subject", "CN=acme");
        p.put("escrow.tls.client.acme.role", "emperor");
        assertTrue(assertThrows(ConfigurationException.class, () -> new TransportSettings(settings("pkcs11"), config(p)))
                .getMessage().contains("escrow.tls.client.acme.role"));
        p.remove("escrow.tls.client.acme.subject");
        p.put("escrow.tls.client.acme.role", "provider");
        assertTrue(assertThrows(ConfigurationException.class, () -> new TransportSettings(settings("pkcs11"), config(p)))
                .getMessage().contains("escrow.tls.client.acme.subject"));
    }

    @Test
    void tlsWithMappedClients_isNotDevelopmentMode() {
        Map<String, String> p = new HashMap<>(TLS);
        p.put("escrow.tls.client-names", "acme");
        p.put("escrow.tls.client.acme.subject", "CN=acme-messaging, O=Acme");
        p.put("escrow.tls.client.acme.role", "Provider");
        TransportSettings t = new TransportSettings(settings("pkcs11"), config(p));
        assertFalse(t.developmentIdentity());
        assertEquals(0, AccessControlInterceptor.ALLOWED.get("escrow.v1.WarrantService").stream()
                .filter(r -> r == Role.PROVIDER).count(), "providers may not touch warrants");
    }

    @Test
    void clientCrl_withoutTls_orWithoutATrustStore_isRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var ca = io.escrow.cms.CertificateIssuer.selfSignedCa("CN=Clients", java.time.Instant.now(),
                java.time.Instant.now().plus(java.time.Duration.ofDays(1)));
        String crl = io.escrow.testing.TestCrls.write(dir.resolve("clients.crl"), io.escrow.testing.TestCrls.issue(ca,
                java.time.Instant.now(), java.time.Instant.now().plus(java.time.Duration.ofDays(1)), Map.of())).toString();
        assertTrue(assertThrows(ConfigurationException.class, () -> new TransportSettings(settings("embedded"),
                config(Map.of("escrow.tls.client-crl", crl)))).getMessage().contains("escrow.tls.client-crl is set, but gRPC is not served over TLS"));
        Map<String, String> p = new HashMap<>(TLS);
        p.remove("quarkus.grpc.server.ssl.trust-store");
        p.put("escrow.tls.client-crl", crl);
        assertTrue(assertThrows(ConfigurationException.class, () -> new TransportSettings(settings("pkcs11"), config(p)))
                .getMessage().contains("escrow.tls.client-crl needs quarkus.grpc.server.ssl.trust-store"));
        p.put("escrow.tls.client-crl", dir.resolve("missing.crl").toString());
        assertTrue(assertThrows(ConfigurationException.class, () -> new TransportSettings(settings("pkcs11"), config(p)))
                .getMessage().contains("escrow.tls.client-crl: cannot read"));
    }
}
