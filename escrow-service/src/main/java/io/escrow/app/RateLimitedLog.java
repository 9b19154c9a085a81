package io.escrow.app;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A log line per period at most, saying how many it stands for. A database outage fails every
 * deposit batch (hundreds a second under load); the first failure is logged at once, and then
 * one line per period while it lasts, so an outage cannot flood the log.
 */
final class RateLimitedLog implements Consumer<String> {
    private final Consumer<String> out;
    private final long periodNanos;
    private final LongSupplier nanoTime;
    private long lastLogged;
    private boolean loggedOnce;
    private long suppressed;

    RateLimitedLog(Consumer<String> out, Duration period, LongSupplier nanoTime) {
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period must be positive");
        }
        this.out = out;
        this.periodNanos = period.toNanos();
        this.nanoTime = nanoTime;
    }

    RateLimitedLog(Consumer<String> out, Duration period) {
        this(out, period, System::nanoTime);
    }

    @Override
    public void accept(String message) {
        String line;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            if (loggedOnce && now - lastLogged < periodNanos) {
                suppressed++;
                return;
            }
            line = suppressed == 0 ? message : message + " (and " + suppressed + " more like it since the last line)";
            loggedOnce = true;
            lastLogged = now;
            suppressed = 0;
        }
        out.accept(line);
    }
}
