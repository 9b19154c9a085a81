package io.escrow.transport;

import io.escrow.deposit.DepositLog;
import io.escrow.error.InvalidArgumentException;
import io.escrow.deposit.Receipt;
import io.escrow.keys.KeyRegistry;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;

/**
 * One DepositStream call: each request is validated and submitted at once, so a stream fills
 * whole group-commit batches; receipts go back strictly in request order, each only after its
 * deposit is committed. At most {@link #WINDOW} requests are in flight; flow control holds the
 * client back beyond that. Receipts are sent only while the client reads them (the call is
 * ready), and each one sent lets one more request in: a client that writes but never reads is
 * held at {@link #WINDOW} requests instead of making the server queue receipts without bound;
 * and one caller holds at most {@link DepositStreamSlots} streams, however many connections it opens.
 * The first request that fails ends the stream with its status, naming the request's position;
 * every receipt before it has been sent.
 */
final class DepositStreamHandler implements StreamObserver<DepositRequest> {
    static final int WINDOW = 4096;

    /**
     * Validation (point check, UTF-8 checks, digest) runs here rather than on the connection's event
     * loop, which then only parses and writes: one stream can use every core. Receipts stay in
     * request order because they are sent in order of the futures, whatever order deposits commit in.
     */
    private static final java.util.concurrent.Executor VALIDATORS = java.util.concurrent.Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
                Thread t = new Thread(r, "deposit-validator");
                t.setDaemon(true);
                return t;
            });

    private final ServerCallStreamObserver<DepositReceipt> out;
    private final DepositLog deposits;
    private final KeyRegistry keys;
    private final String provider;
    /** Gives the caller's stream slot back (DepositStreamSlots); run once, when the stream ends in any way. */
    private final Runnable release;
    private final Deque<CompletableFuture<Receipt>> inFlight = new ArrayDeque<>();
    private long received;
    private long sent;
    private boolean halfClosed;
    private boolean finished;

    DepositStreamHandler(StreamObserver<DepositReceipt> out, DepositLog deposits, KeyRegistry keys, String provider, Runnable release) {
        this.out = (ServerCallStreamObserver<DepositReceipt>) out;
        this.release = release;
        this.deposits = deposits;
        this.keys = keys;
        this.provider = provider;
        this.out.disableAutoRequest();
        this.out.request(WINDOW);
        this.out.setOnCancelHandler(() -> {
            synchronized (this) {
                finished = true;
            }
            release.run();
        });
        this.out.setOnReadyHandler(this::drain);
    }

    @Override
    public void onNext(DepositRequest request) {
        long position;
        synchronized (this) {
            if (finished) {
                return;
            }
            position = received++;
        }
        CompletableFuture<Receipt> f = CompletableFuture.supplyAsync(() -> {
            try {
                return DepositRequests.toDeposit(request, keys);
            } catch (InvalidArgumentException e) {
                deposits.rejected(e.field());
                throw e;
            }
        }, VALIDATORS).thenCompose(d -> deposits.submit(provider, d));
        synchronized (this) {
            inFlight.addLast(f);
        }
        f.whenComplete((r, e) -> drain());
    }

    @Override
    public void onError(Throwable t) {
        synchronized (this) {
            finished = true;
        }
        release.run();
    }

    @Override
    public void onCompleted() {
        synchronized (this) {
            halfClosed = true;
        }
        drain();
    }

    /** Sends every completed receipt at the head of the queue, in order, while the client reads. */
    private synchronized void drain() {
        while (!finished && !inFlight.isEmpty() && inFlight.peekFirst().isDone() && out.isReady()) {
            CompletableFuture<Receipt> head = inFlight.pollFirst();
            try {
                out.onNext(DepositRequests.toProto(head.join()));
                sent++;
                out.request(1);
            } catch (RuntimeException e) {
                finished = true;
                String where = "request " + sent + " of the stream: ";
                var status = GrpcErrorMapping.toStatus(e).getStatus();
                out.onError(status.withDescription(where + status.getDescription()).asRuntimeException());
                release.run();
                return;
            }
        }
        if (!finished && halfClosed && inFlight.isEmpty()) {
            finished = true;
            out.onCompleted();
            release.run();
        }
    }
}
