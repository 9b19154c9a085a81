package io.escrow.cli;

import io.escrow.threshold.ShareToken;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Benchmark only, never wired into the service: a real token whose every derive first waits a
 * fixed time, as a network HSM's round trip would. The wait holds no lock, since such an HSM
 * serves many sessions at once; only the calling thread waits.
 */
final class DelayedShareToken extends io.escrow.threshold.ForwardingShareToken {
    private static final Pattern LATENCY = Pattern.compile("(\\d{1,6})(us|ms)");

    private final long delayNanos;

    DelayedShareToken(ShareToken token, Duration delay) {
        super(token);
        if (delay.isNegative()) {
            throw new IllegalArgumentException("a delay cannot be negative");
        }
        this.delayNanos = delay.toNanos();
    }

    /** Each of {@code tokens} behind the same delay. */
    static java.util.List<ShareToken> all(java.util.List<? extends ShareToken> tokens, Duration delay) {
        return tokens.stream().<ShareToken>map(t -> new DelayedShareToken(t, delay)).toList();
    }

    /** "2ms", "500us" or an ISO-8601 duration ("PT0.002S"). */
    static Duration parse(String value) {
        Matcher m = LATENCY.matcher(value.strip());
        try {
            Duration d = m.matches() ? Duration.ofNanos(Long.parseLong(m.group(1)) * (m.group(2).equals("ms") ? 1_000_000L : 1_000L))
                    : Duration.parse(value.strip());
            if (d.isNegative() || d.compareTo(Duration.ofSeconds(1)) > 0) {
                throw CliException.usage("--token-latency must be between 0 and 1 s, got " + value);
            }
            return d;
        } catch (java.time.format.DateTimeParseException e) {
            throw CliException.usage("--token-latency must look like 2ms, 500us or PT0.002S, got " + value);
        }
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
