package io.escrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DelayedShareTokenTest {
    @Test
    void parse_acceptsMillisMicrosAndIso() {
        assertEquals(Duration.ofMillis(2), DelayedShareToken.parse("2ms"));
        assertEquals(Duration.ofNanos(500_000), DelayedShareToken.parse("500us"));
        assertEquals(Duration.ofMillis(2), DelayedShareToken.parse("PT0.002S"));
        assertEquals(Duration.ZERO, DelayedShareToken.parse("0ms"));
    }

    @Test
    void parse_withGarbageNegativeOrOverASecond_isAUsageError() {
        for (String bad : new String[] {"2 ms", "2", "-1ms", "2s", "PT2S", "PT-0.001S", "ms"}) {
            CliException e = assertThrows(CliException.class, () -> DelayedShareToken.parse(bad), bad);
            assertEquals(CliException.USAGE, e.exitCode());
            assertTrue(e.getMessage().startsWith("--token-latency"), e.getMessage());
        }
    }
}
