package io.escrow.cms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.config.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NamedAnchorsConfigTest {
    @TempDir
    Path dir;

    private Path ca(String name) throws Exception {
        var ca = CertificateIssuer.selfSignedCa("CN=" + name, Instant.now(), Instant.now().plus(Duration.ofDays(1)));
        return Files.writeString(dir.resolve(name + ".pem"), PemFiles.pem(ca.certificate()));
    }

    @Test
    void load_readsDottedAndEnvironmentNames() throws Exception {
        Map<String, String> props = Map.of(
                "escrow.authorities.court.trust-anchor", ca("court").toString(),
                "ESCROW_AUTHORITIES_MINISTRY_TRUST_ANCHOR", ca("ministry").toString(),
                "escrow.custodians.c1.trust-anchor", ca("c1").toString());
        TrustAnchors a = NamedAnchorsConfig.load("escrow.authorities", props.keySet(), k -> Optional.ofNullable(props.get(k)));
        assertEquals(Set.of("court", "ministry"), a.names());
        TrustAnchors c = NamedAnchorsConfig.load("escrow.custodians", props.keySet(), k -> Optional.ofNullable(props.get(k)));
        assertEquals(Set.of("c1"), c.names());
    }

    @Test
    void load_withMissingOrBadFile_failsNamingTheKey() throws Exception {
        Map<String, String> missing = Map.of("escrow.authorities.court.trust-anchor", dir.resolve("nope.pem").toString());
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> NamedAnchorsConfig.load("escrow.authorities",
                missing.keySet(), k -> Optional.ofNullable(missing.get(k))));
        assertTrue(e.getMessage().contains("escrow.authorities.court.trust-anchor: cannot read"), e.getMessage());
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate");
        Map<String, String> bad = Map.of("escrow.authorities.court.trust-anchor", junk.toString());
        assertThrows(ConfigurationException.class, () -> NamedAnchorsConfig.load("escrow.authorities", bad.keySet(),
                k -> Optional.ofNullable(bad.get(k))));
        Map<String, String> badName = Map.of("escrow.authorities.Court!.trust-anchor", ca("x").toString());
        assertThrows(ConfigurationException.class, () -> NamedAnchorsConfig.load("escrow.authorities", badName.keySet(),
                k -> Optional.ofNullable(badName.get(k))));
        assertEquals(List.of(), List.copyOf(NamedAnchorsConfig.load("escrow.authorities", Set.of(), k -> Optional.empty()).names()));
    }
}
