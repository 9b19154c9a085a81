package io.escrow.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A messaging provider's connection to the escrow service. {@link #deposit} seals a session key
 * per contract §1 to the current escrow key (only one that t custodians attested under the
 * certificates the provider pinned), wipes the caller's copy, and sends it on one of a few
 * long-lived DepositStreams. The returned future completes exactly once: with the service's
 * receipt, sent only after the deposit and its audit leaf were committed, or with a
 * {@link DepositException} whose reason names the cause. Build one with {@link #builder()}, share
 * it between threads, and {@link #close()} it to flush.
 */
public final class EscrowClient implements AutoCloseable {
    /** What {@link #deposit} does when {@code maxInFlight} deposits await their receipts. */
    public enum WhenFull {
        /** Wait for room (the default): backpressure reaches the caller's thread. */
        BLOCK,
        /** Fail the new deposit at once with {@link DepositException.Reason#OVERLOADED}. */
        REJECT
    }

    private static final int MAX_ID_BYTES = 256;

    private final ManagedChannel channel;
    private final ScheduledExecutorService timer;
    private final ScheduledExecutorService keyRefresher;
    private final KeyCache keys;
    private final List<DepositLane> lanes = new ArrayList<>();
    private final Semaphore room;
    private final int maxInFlight;
    private final WhenFull whenFull;
    private final Duration closeTimeout;
    private final RetryPolicy retry;
    private final ClientMetrics metrics;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean closed;

    EscrowClient(ManagedChannel channel, AttestedKeys attested, int streams, int maxInFlight, WhenFull whenFull, RetryPolicy retry,
                 Duration keyRefresh, Duration closeTimeout, ClientMetrics metrics, Clock clock) {
        this.channel = channel;
        this.maxInFlight = maxInFlight;
        this.room = new Semaphore(maxInFlight);
        this.whenFull = whenFull;
        this.closeTimeout = closeTimeout;
        this.retry = retry;
        this.metrics = metrics;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "escrow-client-timer"));
        // Its own thread: a key fetch can take up to its deadline, and the lanes' reconnect timers must not wait for it.
        this.keyRefresher = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "escrow-client-keys"));
        this.keys = new KeyCache(EscrowServiceGrpc.newBlockingStub(channel), attested, clock, metrics, Duration.ofSeconds(10));
        EscrowServiceGrpc.EscrowServiceStub stub = EscrowServiceGrpc.newStub(channel);
        for (int i = 0; i < streams; i++) {
            lanes.add(new DepositLane(stub, timer, retry, metrics, () -> keyRefresher.execute(keys::refreshQuietly)));
        }
        keyRefresher.scheduleWithFixedDelay(keys::refreshQuietly, keyRefresh.toMillis(), keyRefresh.toMillis(), TimeUnit.MILLISECONDS);
    }

    public static EscrowClientBuilder builder() {
        return new EscrowClientBuilder();
    }

    /**
     * Escrows {@code sessionKey} for {@code subjectId}, covering [coversFrom, coversUntil] (whole
     * seconds, as the HPKE aad binds them). The array is zeroed once sealed, and on every refusal.
     * Re-depositing with the same {@code providerRecordId} and the same bytes is always safe: the
     * service answers with the original receipt. With {@link WhenFull#BLOCK} this waits while
     * {@code maxInFlight} deposits are unacknowledged and, until the first key is fetched, while
     * the service cannot be reached (at most the retry policy's give-up time).
     */
    public CompletableFuture<Receipt> deposit(String subjectId, Instant coversFrom, Instant coversUntil, byte[] sessionKey,
                                              String providerRecordId) {
        long start = System.nanoTime();
        CompletableFuture<Receipt> future = new CompletableFuture<>();
        DepositRequest request;
        String keyId;
        try {
            if (closed) {
                throw new DepositException(DepositException.Reason.CLOSED, "the client is closed");
            }
            checkArguments(subjectId, coversFrom, coversUntil, sessionKey, providerRecordId);
            // BLOCK callers accept waiting, so they also wait out a service that is down before the
            // first key is fetched (a restart of both sides at once); REJECT callers never wait.
            KeyCache.TrustedKey key = whenFull == WhenFull.BLOCK ? keys.awaitCurrent(retry, () -> closed) : keys.current();
            DepositSealer.Sealed sealed;
            try {
                sealed = DepositSealer.seal(key.keyId(), key.publicKey(), subjectId, coversFrom.getEpochSecond(),
                        coversUntil.getEpochSecond(), sessionKey);
            } catch (IllegalArgumentException e) {
                throw new DepositException(DepositException.Reason.INVALID_ARGUMENT, e.getMessage());
            }
            keyId = key.keyId();
            request = DepositRequest.newBuilder().setProviderRecordId(providerRecordId).setSubjectId(subjectId).setKeyId(keyId)
                    .setCoversFrom(Timestamp.newBuilder().setSeconds(coversFrom.getEpochSecond()))
                    .setCoversUntil(Timestamp.newBuilder().setSeconds(coversUntil.getEpochSecond()))
                    .setEnc(ByteString.copyFrom(sealed.enc())).setCiphertext(ByteString.copyFrom(sealed.ciphertext())).build();
        } catch (DepositException e) {
            failNow(future, e.beforeSending());
            return future;
        } finally {
            if (sessionKey != null) {
                DepositSealer.wipe(sessionKey);
            }
        }
        if (!admit(future)) {
            return future;
        }
        future.whenComplete((r, e) -> room.release());
        lanes.get(Math.floorMod(next.getAndIncrement(), lanes.size()))
                .submit(new DepositLane.Pending(request, keyId, start, future));
        return future;
    }

    /** Deposits sent or waiting to be sent whose futures have not completed. */
    public int inFlight() {
        return maxInFlight - room.availablePermits();
    }

    /**
     * Stops taking deposits and waits up to the close timeout for every receipt. Deposits still
     * unacknowledged then fail with {@link DepositException.Reason#CLOSED}: their outcome is unknown,
     * and re-depositing them with the same provider_record_id from a new client is safe.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        lanes.forEach(DepositLane::close);
        long deadline = System.nanoTime() + closeTimeout.toNanos();
        while (inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight() > 0) {
            lanes.forEach(l -> l.abandon("the client closed after " + closeTimeout.toSeconds() + " s with deposits unacknowledged"));
        }
        timer.shutdownNow();
        keyRefresher.shutdownNow();
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private boolean admit(CompletableFuture<Receipt> future) {
        if (whenFull == WhenFull.REJECT) {
            if (room.tryAcquire()) {
                return true;
            }
            failNow(future, new DepositException(DepositException.Reason.OVERLOADED, maxInFlight
                    + " deposits await their receipts (the client's maxInFlight); retry later"));
            return false;
        }
        try {
            room.acquire();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failNow(future, new DepositException(DepositException.Reason.OVERLOADED, "interrupted while waiting for in-flight room"));
            return false;
        }
    }

    private void failNow(CompletableFuture<Receipt> future, DepositException e) {
        metrics.failed(e.reason());
        future.completeExceptionally(e);
    }

    private static void checkArguments(String subjectId, Instant coversFrom, Instant coversUntil, byte[] sessionKey,
                                       String providerRecordId) {
        requireId("providerRecordId", providerRecordId);
        requireId("subjectId", subjectId);
        if (coversFrom == null || coversUntil == null) {
            throw new DepositException(DepositException.Reason.INVALID_ARGUMENT, "coversFrom and coversUntil are required");
        }
        if (coversFrom.getNano() != 0 || coversUntil.getNano() != 0) {
            throw new DepositException(DepositException.Reason.INVALID_ARGUMENT,
                    "coversFrom and coversUntil must be whole seconds: the HPKE aad binds Unix seconds");
        }
        if (sessionKey == null) {
            throw new DepositException(DepositException.Reason.INVALID_ARGUMENT, "sessionKey is required");
        }
    }

    private static void requireId(String name, String value) {
        if (value == null || value.isEmpty() || value.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
            throw new DepositException(DepositException.Reason.INVALID_ARGUMENT, name + " must be 1 to " + MAX_ID_BYTES
                    + " bytes of UTF-8");
        }
    }
}
