package io.escrow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DelayedShareTokenTest {
    @Test
    void parse_acceptsMillisMicrosAndIso() {
        assertEquals(Duration.ofMillis(2), DelayedShareToken.parse("--token-latency", "2ms"));
        assertEquals(Duration.ofNanos(500_000), DelayedShareToken.parse("--token-latency", "500us"));
        assertEquals(Duration.ofMillis(2), DelayedShareToken.parse("--token-latency", "PT0.002S"));
        assertEquals(Duration.ZERO, DelayedShareToken.parse("--token-latency", "0ms"));
    }

    @Test
    void parse_withGarbageNegativeOrOverASecond_isAUsageError() {
        for (String bad : new String[] {"2 ms", "2", "-1ms", "2s", "PT2S", "PT-0.001S", "ms"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DelayedShareToken.parse("--token-latency", bad), bad);
            assertTrue(e.getMessage().startsWith("--token-latency"), e.getMessage());
        }
    }
}
