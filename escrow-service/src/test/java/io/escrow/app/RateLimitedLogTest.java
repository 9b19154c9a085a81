package io.escrow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimitedLogTest {
    private final AtomicLong clock = new AtomicLong(1_000);
    private final List<String> lines = new ArrayList<>();
    private final RateLimitedLog log = new RateLimitedLog(lines::add, Duration.ofSeconds(10), clock::get);

    @Test
    void accept_logsTheFirstAtOnce_thenOneLinePerPeriodCountingTheRest() {
        log.accept("a");
        for (int i = 0; i < 500; i++) {
            clock.addAndGet(10_000_000L);
            log.accept("b" + i);
        }
        assertEquals(List.of("a"), lines, "5 s of failures after the first: nothing more yet");
        clock.addAndGet(Duration.ofSeconds(6).toNanos());
        log.accept("c");
        assertEquals(List.of("a", "c (and 500 more like it since the last line)"), lines);
        clock.addAndGet(Duration.ofSeconds(11).toNanos());
        log.accept("d");
        assertEquals("d", lines.get(2), "nothing suppressed since the last line");
    }

    @Test
    void constructor_withNonPositivePeriod_fails() {
        assertThrows(IllegalArgumentException.class, () -> new RateLimitedLog(lines::add, Duration.ZERO));
    }
}
