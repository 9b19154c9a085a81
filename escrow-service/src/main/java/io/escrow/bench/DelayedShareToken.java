package io.escrow.bench;

import io.escrow.threshold.ShareToken;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Benchmark only: a real token whose every derive first waits a fixed time, as a network HSM's
 * round trip would. The wait holds no lock, since such an HSM serves many sessions at once; only
 * the calling thread waits. {@code escrowctl bench --token-latency} wraps its tokens with it, and
 * the service only in the embedded development mode ({@code escrow.embedded.token-latency},
 * refused with real HSMs), for {@code escrowctl load --token-latency}.
 */
public final class DelayedShareToken extends io.escrow.threshold.ForwardingShareToken {
    private static final Pattern LATENCY = Pattern.compile("(\\d{1,6})(us|ms)");

    private final long delayNanos;

    public DelayedShareToken(ShareToken token, Duration delay) {
        super(token);
        if (delay.isNegative()) {
            throw new IllegalArgumentException("a delay cannot be negative");
        }
        this.delayNanos = delay.toNanos();
    }

    /** Each of {@code tokens} behind the same delay. */
    public static java.util.List<ShareToken> all(java.util.List<? extends ShareToken> tokens, Duration delay) {
        return tokens.stream().<ShareToken>map(t -> new DelayedShareToken(t, delay)).toList();
    }

    /**
     * "2ms", "500us" or an ISO-8601 duration ("PT0.002S"), 0 to 1 s; {@code name} (an option or a
     * setting) leads the message of the IllegalArgumentException for anything else.
     */
    public static Duration parse(String name, String value) {
        Matcher m = LATENCY.matcher(value.strip());
        Duration d;
        try {
            d = m.matches() ? Duration.ofNanos(Long.parseLong(m.group(1)) * (m.group(2).equals("ms") ? 1_000_000L : 1_000L))
                    : Duration.parse(value.strip());
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must look like 2ms, 500us or PT0.002S, got " + value);
        }
        if (d.isNegative() || d.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException(name + " must be between 0 and 1 s, got " + value);
        }
        return d;
    }

    @Override
    public byte[] deriveX(String keyId, ECPoint point) {
        long until = System.nanoTime() + delayNanos;
        for (long left = delayNanos; left > 0; left = until - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
        return token.deriveX(keyId, point);
    }

    @Override
    public String toString() {
        return "DelayedShareToken[" + token.custodianId() + ", " + delayNanos / 1000 + " µs]";
    }
}
