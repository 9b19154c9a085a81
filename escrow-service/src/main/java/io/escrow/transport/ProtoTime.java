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

    /**
     * A protobuf Duration as the spec allows it (nanos within ±999,999,999, with the sign of the
     * seconds): a malformed one is refused naming {@code field}, never clamped into a valid one.
     * Whether it may be negative is the caller's rule.
     */
    static java.time.Duration duration(String field, com.google.protobuf.Duration d) {
        int nanos = d.getNanos();
        if (nanos <= -1_000_000_000 || nanos >= 1_000_000_000 || d.getSeconds() > 0 && nanos < 0 || d.getSeconds() < 0 && nanos > 0) {
            throw new io.escrow.error.InvalidArgumentException(field, "nanos must be within ±999999999 and have the sign of seconds, got "
                    + nanos);
        }
        if (Math.abs(d.getSeconds()) > 315_576_000_000L) {
            throw new io.escrow.error.InvalidArgumentException(field, "is longer than 10,000 years");
        }
        return java.time.Duration.ofSeconds(d.getSeconds(), nanos);
    }

    static Timestamp seconds(long epochSeconds) {
        return Timestamp.newBuilder().setSeconds(epochSeconds).build();
    }

    static Timestamp of(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }
}
