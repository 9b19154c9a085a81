package io.escrow.audit;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One poller per replica for the audit log's size, shared by every stream that follows the log.
 * Idle followers wait here in memory instead of each querying the database every 100 ms; the
 * poller reads the head only while someone waits. Polling, not notification from the writer,
 * because other replicas append to the same log.
 */
public final class AuditHeadWatcher implements AutoCloseable {
    private final LongSupplier committedSize;
    private final long pollNanos;
    private long known = -1;
    private int waiting;
    private boolean closed;
    private Thread poller;

    /** {@code committedSize} reads the number of committed leaves (the head's next index). */
    public AuditHeadWatcher(LongSupplier committedSize, Duration poll) {
        if (poll.isNegative() || poll.isZero()) {
            throw new IllegalArgumentException("poll must be positive");
        }
        this.committedSize = committedSize;
        this.pollNanos = poll.toNanos();
    }

    /**
     * Waits until the log holds more than {@code size} leaves, at most {@code max}; returns
     * whether it does (false on timeout or close).
     */
    public synchronized boolean awaitMoreThan(long size, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        waiting++;
        startPoller();
        notifyAll();
        try {
            while (known <= size && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return known > size;
        } finally {
            waiting--;
        }
    }

    private void startPoller() {
        if (poller == null && !closed) {
            poller = new Thread(this::poll, "audit-head-watcher");
            poller.setDaemon(true);
            poller.start();
        }
    }

    private void poll() {
        try {
            while (true) {
                synchronized (this) {
                    while (waiting == 0 && !closed) {
                        wait();
                    }
                    if (closed) {
                        return;
                    }
                }
                long size;
                try {
                    size = committedSize.getAsLong();
                } catch (RuntimeException e) {
                    // The database is away: followers time out and retry through their own reads.
                    size = -1;
                }
                synchronized (this) {
                    // The database is the truth, also when it holds less than before: after a
                    // failover the new primary lacks any commit that was never acknowledged.
                    if (size >= 0 && size != known) {
                        known = size;
                        notifyAll();
                    }
                }
                TimeUnit.NANOSECONDS.sleep(pollNanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
        if (poller != null) {
            poller.interrupt();
        }
    }
}
