package io.escrow.witness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.config.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WitnessSettingsTest {
    static String vkey1;
    static String vkey2;

    @BeforeAll
    static void keys() throws IOException {
        Path dir = Files.createTempDirectory("witness-settings-");
        vkey1 = KeyFileCosigner.generate("w1.example", dir.resolve("1")).verifierKey().encode();
        vkey2 = KeyFileCosigner.generate("w2.example", dir.resolve("2")).verifierKey().encode();
    }

    private static WitnessSettings load(Map<String, String> props) {
        return WitnessSettings.load(props.keySet(), k -> Optional.ofNullable(props.get(k)));
    }

    private static ConfigurationException fails(Map<String, String> props) {
        return assertThrows(ConfigurationException.class, () -> load(props));
    }

    @Test
    void load_dottedAndEnvironmentNames_withQuorumAndTimeout() {
        Map<String, String> p = new HashMap<>(Map.of("escrow.audit.witnesses.w1.url", "https://w1.example/witness",
                "ESCROW_AUDIT_WITNESSES_W2_URL", "http://127.0.0.1:7380", "ESCROW_AUDIT_WITNESSES_W2_KEY", vkey2,
                "escrow.audit.witnesses.w1.key", vkey1, "escrow.audit.witness-quorum", "2", "escrow.audit.witness-timeout", "5s"));
        p.put("escrow.audit.witnesses.w2.url", "http://127.0.0.1:7380");
        p.put("escrow.audit.witnesses.w2.key", vkey2);

        WitnessSettings s = load(p);

        assertEquals(List.of("w1", "w2"), s.witnesses().stream().map(WitnessSettings.Configured::name).toList());
        assertEquals("https://w1.example/witness/add-checkpoint", s.witnesses().get(0).addCheckpoint().toString());
        assertEquals(2, s.quorum());
        assertEquals(Duration.ofSeconds(5), s.timeout());
    }

    @Test
    void load_nothing_isNoWitnessesAndQuorumZero() {
        WitnessSettings s = load(Map.of());
        assertEquals(0, s.quorum());
        assertEquals(WitnessSettings.DEFAULT_TIMEOUT, s.timeout());
        assertTrue(s.witnesses().isEmpty());
    }

    @Test
    void load_malformedSettings_failNamingTheKey() {
        Map<Map<String, String>, String> cases = Map.of(
                Map.of("escrow.audit.witnesses.w1.url", "http://w1"), "escrow.audit.witnesses.w1.key is not set",
                Map.of("escrow.audit.witnesses.w1.key", vkey1), "escrow.audit.witnesses.w1.url is not set",
                Map.of("escrow.audit.witnesses.w1.url", "ftp://w1", "escrow.audit.witnesses.w1.key", vkey1), "http or https",
                Map.of("escrow.audit.witnesses.w1.url", "http://w1", "escrow.audit.witnesses.w1.key", "nonsense"), "w1.key",
                Map.of("escrow.audit.witnesses.w1.url", "http://w1", "escrow.audit.witnesses.w1.key",
                        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"), "cosignature key",
                Map.of("escrow.audit.witness-quorum", "1"), "cannot be met",
                Map.of("escrow.audit.witness-quorum", "-1"), "escrow.audit.witness-quorum",
                Map.of("escrow.audit.witness-timeout", "soon"), "escrow.audit.witness-timeout",
                Map.of("escrow.audit.witness-timeout", "0s"), "must be positive",
                Map.of("escrow.audit.witnesses.W_1!.url", "http://w1", "escrow.audit.witnesses.W_1!.key", vkey1), "witness name");
        cases.forEach((props, expected) -> {
            ConfigurationException e = fails(props);
            assertTrue(e.getMessage().contains(expected), props + ": " + e.getMessage());
        });
    }

    @Test
    void load_sameKeyForTwoWitnesses_fails() {
        ConfigurationException e = fails(Map.of("escrow.audit.witnesses.a.url", "http://a", "escrow.audit.witnesses.a.key", vkey1,
                "escrow.audit.witnesses.b.url", "http://b", "escrow.audit.witnesses.b.key", vkey1));
        assertTrue(e.getMessage().contains("distinct"), e.getMessage());
    }
}
