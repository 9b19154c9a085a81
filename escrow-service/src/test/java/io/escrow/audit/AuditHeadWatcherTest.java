package io.escrow.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AuditHeadWatcherTest {
    private final AtomicLong size = new AtomicLong(5);
    private final AtomicInteger reads = new AtomicInteger();

    private AuditHeadWatcher watcher() {
        return new AuditHeadWatcher(() -> {
            reads.incrementAndGet();
            return size.get();
        }, Duration.ofMillis(20));
    }

    @Test
    void awaitMoreThan_returnsOnceTheLogGrows_andTimesOutWhileItDoesNot() throws Exception {
        try (AuditHeadWatcher w = watcher()) {
            assertTrue(w.awaitMoreThan(4, Duration.ofSeconds(10)));
            assertFalse(w.awaitMoreThan(5, Duration.ofMillis(100)));
            CompletableFuture<Boolean> waiting = awaitAsync(w, 5, Duration.ofSeconds(30), ForkJoinPool.commonPool());
            size.set(6);
            assertTrue(waiting.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void manyWaiters_shareOnePoller_andNobodyWaitingMeansNoReads() throws Exception {
        var threads = java.util.concurrent.Executors.newFixedThreadPool(20);
        try (AuditHeadWatcher w = watcher()) {
            List<CompletableFuture<Boolean>> waiters = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                waiters.add(awaitAsync(w, 5, Duration.ofMillis(500), threads));
            }
            for (CompletableFuture<Boolean> f : waiters) {
                assertFalse(f.get(10, TimeUnit.SECONDS));
            }
            // 20 followers polling on their own every 20 ms would have read about 500 times.
            assertTrue(reads.get() < 100, "reads: " + reads.get());
            Thread.sleep(100);
            int idle = reads.get();
            Thread.sleep(300);
            assertEquals(idle, reads.get(), "no reads while nobody waits");
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void close_releasesWaiters_andAFailingReadOnlyDelaysThem() throws Exception {
        AuditHeadWatcher failing = new AuditHeadWatcher(() -> {
            throw new IllegalStateException("database away");
        }, Duration.ofMillis(10));
        assertFalse(failing.awaitMoreThan(0, Duration.ofMillis(100)));
        CompletableFuture<Boolean> waiting = awaitAsync(failing, 0, Duration.ofSeconds(30), ForkJoinPool.commonPool());
        Thread.sleep(50);
        failing.close();
        assertFalse(waiting.get(10, TimeUnit.SECONDS));
    }

    private static CompletableFuture<Boolean> awaitAsync(AuditHeadWatcher w, long size, Duration max, Executor on) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return w.awaitMoreThan(size, max);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, on);
    }

    @Test
    void aNonPositivePoll_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> new AuditHeadWatcher(() -> 0, Duration.ZERO));
    }
}
