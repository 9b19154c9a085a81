package io.escrow.deposit;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;

/**
 * Record ids as RFC 9562 version 7 UUIDs: 48 bits of Unix milliseconds, then 74 random bits.
 * Ids issued close together sort together, so each insert into the deposits primary key lands
 * near the right edge of the index instead of on a random leaf page. With random (version 4)
 * ids, the batch insert measured about 20% slower at 2.5 million deposits. The time in the id
 * is no secret: the receipt and the audit leaf carry it anyway.
 */
final class RecordIds {
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    RecordIds(Clock clock) {
        this.clock = clock;
    }

    UUID next() {
        long millis = clock.millis();
        if (millis < 0 || millis >= 1L << 48) {
            throw new IllegalStateException("clock outside the UUIDv7 range: " + millis);
        }
        long randA = random.nextInt() & 0xfffL;
        long randB = random.nextLong() & 0x3fff_ffff_ffff_ffffL;
        long high = millis << 16 | 0x7000L | randA;
        long low = 0x8000_0000_0000_0000L | randB;
        return new UUID(high, low);
    }
}
