package io.escrow.transport;

import com.google.protobuf.Timestamp;
import java.time.Instant;

/** Protobuf timestamps at the transport edge. */
final class ProtoTime {
    private ProtoTime() {}

    /**
     * Out-of-range timestamps (nanos outside 0..999,999,999, absurd seconds) become instants that
     * validation rejects, rather than being clamped into valid ones.
     */
    static Instant instant(Timestamp t) {
        if (t.getNanos() < 0 || t.getNanos() > 999_999_999) {
            return Instant.ofEpochSecond(t.getSeconds(), 1);
        }
        try {
            return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
        } catch (java.time.DateTimeException e) {
            return Instant.MIN;
        }
    }

    /** The instant, or null when the message does not set the field. */
    static Instant optional(boolean present, Timestamp t) {
        return present ? instant(t) : null;
    }

    static Timestamp seconds(long epochSeconds) {
        return Timestamp.newBuilder().setSeconds(epochSeconds).build();
    }

    static Timestamp of(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }
}
