package io.escrow.system;

import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * DepositStream load from outside, as a provider would send it: a few long-lived streams, each
 * with a bounded number of deposits awaiting their receipts, reopened after any error. It keeps
 * what the service acknowledged (receipt by provider_record_id, and when), and every status a
 * stream ended with, so a fault test can check that nothing acknowledged was lost and that
 * clients were only ever told UNAVAILABLE (or RESOURCE_EXHAUSTED where allowed).
 */
final class DepositStreamLoad implements AutoCloseable {
    private static final int WINDOW = 64;

    private final ManagedChannel channel;
    private final EscrowKey key;
    private final String prefix;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicInteger counter = new AtomicInteger();
    private final Map<String, DepositReceipt> acknowledged = new ConcurrentHashMap<>();
    private final Map<Status.Code, AtomicInteger> endings = new ConcurrentHashMap<>();
    private final List<String> errorSamples = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Nanotime of the first receipt for a request sent after {@link #mark}. */
    private final AtomicLong firstAckAfterMark = new AtomicLong();
    private volatile long markNanos = Long.MAX_VALUE;
    /** Set when the next stream fails: then marks. */
    private volatile boolean markOnFailure;
    private final AtomicLong firstFailureAfterArm = new AtomicLong();
    private final List<Thread> workers = new ArrayList<>();

    DepositStreamLoad(ManagedChannel channel, EscrowKey key, String prefix, int streams) {
        this.channel = channel;
        this.key = key;
        this.prefix = prefix;
        for (int i = 0; i < streams; i++) {
            Thread t = new Thread(this::run, prefix + "-stream-" + i);
            t.setDaemon(true);
            workers.add(t);
        }
        workers.forEach(Thread::start);
    }

    private record Sent(String id, long nanos) {}

    private void run() {
        while (!stopping.get()) {
            Semaphore window = new Semaphore(WINDOW);
            Deque<Sent> pending = new ArrayDeque<>();
            CountDownLatch ended = new CountDownLatch(1);
            StreamObserver<DepositRequest> requests = EscrowServiceGrpc.newStub(channel).depositStream(new StreamObserver<>() {
                @Override
                public void onNext(DepositReceipt r) {
                    Sent s;
                    synchronized (pending) {
                        s = pending.pollFirst();
                    }
                    if (s == null || !s.id().equals(r.getProviderRecordId())) {
                        errorSamples.add("receipt out of order: " + r.getProviderRecordId() + " for " + s);
                        return;
                    }
                    long now = System.nanoTime();
                    acknowledged.put(s.id(), r);
                    if (s.nanos() >= markNanos) {
                        firstAckAfterMark.compareAndSet(0, now);
                    }
                    window.release();
                }

                @Override
                public void onError(Throwable t) {
                    Status st = Status.fromThrowable(t);
                    if (markOnFailure) {
                        markOnFailure = false;
                        firstFailureAfterArm.set(System.nanoTime());
                        mark();
                    }
                    endings.computeIfAbsent(st.getCode(), c -> new AtomicInteger()).incrementAndGet();
                    if (errorSamples.size() < 20) {
                        errorSamples.add(st.toString());
                    }
                    window.release(WINDOW);
                    ended.countDown();
                }

                @Override
                public void onCompleted() {
                    window.release(WINDOW);
                    ended.countDown();
                }
            });
            try {
                while (!stopping.get() && ended.getCount() > 0) {
                    if (!window.tryAcquire(200, TimeUnit.MILLISECONDS) || ended.getCount() == 0) {
                        continue;
                    }
                    String id = prefix + "-" + counter.incrementAndGet();
                    DepositRequest req = EmbeddedServiceSystemTest.sealed(key, id);
                    synchronized (pending) {
                        pending.addLast(new Sent(id, System.nanoTime()));
                    }
                    synchronized (requests) {
                        requests.onNext(req);
                    }
                }
                if (ended.getCount() > 0) {
                    synchronized (requests) {
                        requests.onCompleted();
                    }
                }
                ended.await(60, TimeUnit.SECONDS);
                if (!stopping.get()) {
                    Thread.sleep(100);
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                errorSamples.add("client: " + e);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** From now on, {@link #firstAckAfterMark} waits for a receipt of a request sent after this call. */
    long mark() {
        markNanos = System.nanoTime();
        firstAckAfterMark.set(0);
        return markNanos;
    }

    /**
     * The next stream failure {@link #mark}s; returns at once. A commit in flight when a database
     * dies may still be acknowledged (its standby has it), so an outage is timed from the first
     * failure the clients see.
     */
    void markOnNextFailure() {
        firstFailureAfterArm.set(0);
        markOnFailure = true;
    }

    /** Nanotime of the first stream failure after {@link #markOnNextFailure}; 0 while there is none. */
    long firstFailure() {
        return firstFailureAfterArm.get();
    }

    /** Nanotime of the first receipt for a request sent after {@link #mark}; 0 while there is none. */
    long firstAckAfterMark() {
        return firstAckAfterMark.get();
    }

    int acknowledgedCount() {
        return acknowledged.size();
    }

    /** Waits until at least {@code n} deposits are acknowledged. */
    void awaitAcknowledged(int n, long timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (acknowledged.size() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + acknowledged.size() + " of " + n + " deposits acknowledged; " + errorSamples);
            }
            Thread.sleep(20);
        }
    }

    Map<String, DepositReceipt> acknowledged() {
        return Map.copyOf(acknowledged);
    }

    /** How many streams ended with each status. */
    Map<Status.Code, Integer> endings() {
        Map<Status.Code, Integer> out = new java.util.TreeMap<>();
        endings.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    List<String> errorSamples() {
        synchronized (errorSamples) {
            return List.copyOf(errorSamples);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopping.set(true);
        for (Thread t : workers) {
            t.join(TimeUnit.SECONDS.toMillis(90));
        }
    }

    /**
     * Every acknowledged deposit is in the database at {@code jdbcUrl}, with the record id and
     * audit index it was acknowledged with ({@code prefix}: this load's provider_record_ids).
     */
    static void assertAllStored(String jdbcUrl, String prefix, Map<String, DepositReceipt> acknowledged) throws Exception {
        Map<String, String> stored = new java.util.HashMap<>();
        try (var c = java.sql.DriverManager.getConnection(jdbcUrl, "postgres", "");
             var ps = c.prepareStatement("select provider_record_id, record_id::text, audit_index from deposits "
                     + "where provider_record_id like ?")) {
            ps.setString(1, prefix + "%");
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    stored.put(rs.getString(1), rs.getString(2) + "@" + rs.getLong(3));
                }
            }
        }
        for (var e : acknowledged.entrySet()) {
            org.junit.jupiter.api.Assertions.assertEquals(e.getValue().getRecordId() + "@" + e.getValue().getAuditIndex(),
                    stored.get(e.getKey()), "acknowledged deposit " + e.getKey());
        }
    }
}
