package io.escrow.deposit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RecordIdsTest {
    private static Clock at(long millis) {
        return Clock.fixed(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    }

    @Test
    void next_isAVersion7UuidCarryingTheMillisecond() {
        long millis = 1_764_000_000_123L;
        UUID id = new RecordIds(at(millis)).next();
        assertEquals(7, id.version());
        assertEquals(2, id.variant());
        assertEquals(millis, id.getMostSignificantBits() >>> 16);
    }

    @Test
    void next_sortsByTime_andDiffersWithinOneMillisecond() {
        UUID earlier = new RecordIds(at(1_764_000_000_000L)).next();
        UUID later = new RecordIds(at(1_764_000_000_001L)).next();
        // PostgreSQL orders uuids by their bytes, i.e. unsigned; these high words are positive.
        assertTrue(Long.compareUnsigned(earlier.getMostSignificantBits(), later.getMostSignificantBits()) < 0);
        RecordIds same = new RecordIds(at(1_764_000_000_000L));
        assertNotEquals(same.next(), same.next());
    }

    @Test
    void next_withAClockBefore1970_fails() {
        assertThrows(IllegalStateException.class, () -> new RecordIds(at(-1)).next());
    }
}
