package io.escrow.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the client keeps re-sending deposits while the service is unreachable (UNAVAILABLE,
 * RESOURCE_EXHAUSTED, a dropped connection). Backoff doubles from {@code initialBackoff} to
 * {@code maxBackoff}, with jitter; after {@code giveUpAfter} without a single receipt, every
 * waiting deposit fails with {@link DepositException.Reason#UNAVAILABLE}.
 */
public record RetryPolicy(Duration initialBackoff, Duration maxBackoff, Duration giveUpAfter) {
    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(giveUpAfter, "giveUpAfter");
        if (initialBackoff.isNegative() || initialBackoff.isZero()) {
            throw new IllegalArgumentException("initialBackoff must be positive, got " + initialBackoff);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff " + maxBackoff + " is shorter than initialBackoff " + initialBackoff);
        }
        if (giveUpAfter.isNegative()) {
            throw new IllegalArgumentException("giveUpAfter must not be negative, got " + giveUpAfter);
        }
    }

    /** 100 ms doubling to 5 s, for up to 2 minutes: rides out a restart or a database failover. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofMinutes(2));
    }

    /** The give-up time as messages print it: whole seconds when it is whole seconds, else milliseconds. */
    String giveUpText() {
        return giveUpAfter.toMillis() % 1000 == 0 ? giveUpAfter.toSeconds() + " s" : giveUpAfter.toMillis() + " ms";
    }

    /** The wait before reconnect attempt {@code attempt} (1 for the first), with up to 25% jitter. */
    Duration backoff(int attempt, double jitter) {
        long base = initialBackoff.toMillis() << Math.min(Math.max(attempt - 1, 0), 20);
        long capped = Math.min(base, maxBackoff.toMillis());
        return Duration.ofMillis(Math.max(1, (long) (capped * (1 - 0.25 * jitter))));
    }
}
