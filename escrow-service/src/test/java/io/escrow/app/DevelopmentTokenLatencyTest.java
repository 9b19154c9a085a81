package io.escrow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.bench.DelayedShareToken;
import io.escrow.config.ConfigurationException;
import io.escrow.config.EscrowSettings;
import io.escrow.hsm.PinSource;
import io.escrow.hsm.TokenConfig;
import io.escrow.testing.TestTokens;
import io.escrow.threshold.ShareToken;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DevelopmentTokenLatencyTest {
    private static EscrowSettings settings(EscrowSettings.HsmMode mode) {
        TokenConfig audit = new TokenConfig("audit", TestTokens.LIBRARY, "audit", PinSource.withheld());
        return new EscrowSettings(Path.of("escrow-data"), mode, List.of(), audit, 2, "ek-2026-01", EscrowSettings.Consent.REQUIRED);
    }

    private static DevelopmentTokenLatency load(EscrowSettings.HsmMode mode, String value) {
        Map<String, String> config = value == null ? Map.of() : Map.of(DevelopmentTokenLatency.KEY, value);
        return DevelopmentTokenLatency.load(settings(mode), k -> Optional.ofNullable(config.get(k)));
    }

    @Test
    void load_unset_delaysNothing_andLeavesTokensAsTheyAre() throws Exception {
        DevelopmentTokenLatency none = load(EscrowSettings.HsmMode.PKCS11, null);
        assertEquals(Duration.ZERO, none.delay());
        ShareToken token = TestTokens.open("lat-1");
        assertSame(token, none.apply(token));
    }

    @Test
    void load_inEmbeddedMode_delaysEachDerive() throws Exception {
        DevelopmentTokenLatency two = load(EscrowSettings.HsmMode.EMBEDDED, "2ms");
        assertEquals(Duration.ofMillis(2), two.delay());
        assertTrue(two.apply(TestTokens.open("lat-1")) instanceof DelayedShareToken);
    }

    @Test
    void load_withRealHsms_isRefused() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> load(EscrowSettings.HsmMode.PKCS11, "2ms"));
        assertTrue(e.getMessage().contains("escrow.embedded.token-latency is for benchmarks"), e.getMessage());
    }

    @Test
    void load_withAMalformedDelay_isRefusedNamingTheSetting() {
        for (String bad : List.of("2", "2s", "-1ms", "fast")) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> load(EscrowSettings.HsmMode.EMBEDDED, bad), bad);
            assertTrue(e.getMessage().contains("escrow.embedded.token-latency must"), e.getMessage());
        }
    }
}
