package io.escrow.client;

import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One long-lived DepositStream and the deposits it carries, in order. The service answers each
 * request with a receipt in request order, and ends a stream at the first request that fails,
 * with a status naming its position, after every earlier receipt. So:
 * <ul>
 *   <li>a receipt completes the oldest unacknowledged deposit, and only if it names that
 *       deposit's provider_record_id: nothing is ever acknowledged that the service did not;</li>
 *   <li>a stream ended by a refusal (a malformed deposit, a conflict, a key not served) fails
 *       only the oldest unacknowledged deposit, and the rest go out again on a new stream;</li>
 *   <li>a stream ended by the network or an overloaded or restarting service sends every
 *       unacknowledged deposit again, unchanged, after a backoff. Deposits are idempotent on
 *       provider_record_id, so a deposit committed before the failure gets its original receipt.</li>
 * </ul>
 * All state is guarded by this object; futures are completed outside the lock.
 */
final class DepositLane {
    /** A sealed deposit on its way; {@code keyId} is what it was sealed to. */
    record Pending(DepositRequest request, String keyId, long startNanos, CompletableFuture<Receipt> future) {}

    private final EscrowServiceGrpc.EscrowServiceStub stub;
    private final ScheduledExecutorService timer;
    private final RetryPolicy retry;
    private final ClientMetrics metrics;
    private final Runnable keyNotServed;
    /** Sent on the current stream, awaiting their receipts, oldest first. */
    private final Deque<Pending> unacked = new ArrayDeque<>();
    /** Not yet sent: new deposits, and those of a failed stream waiting for the next one. */
    private final Deque<Pending> unsent = new ArrayDeque<>();
    private ClientCallStreamObserver<DepositRequest> requests;
    private Object call;
    private boolean reconnectScheduled;
    private int failedAttempts;
    private long outageSince = -1;
    private boolean closing;
    private boolean halfClosed;

    DepositLane(EscrowServiceGrpc.EscrowServiceStub stub, ScheduledExecutorService timer, RetryPolicy retry, ClientMetrics metrics,
                Runnable keyNotServed) {
        this.stub = stub;
        this.timer = timer;
        this.retry = retry;
        this.metrics = metrics;
        this.keyNotServed = keyNotServed;
    }

    void submit(Pending p) {
        DepositException closed = null;
        synchronized (this) {
            if (closing) {
                closed = new DepositException(DepositException.Reason.CLOSED, "the client is closed");
            } else {
                unsent.addLast(p);
                pump();
            }
        }
        if (closed != null) {
            p.future().completeExceptionally(closed);
        }
    }

    synchronized int outstanding() {
        return unacked.size() + unsent.size();
    }

    /** Stops taking deposits; half-closes the stream once everything sent is acknowledged. */
    synchronized void close() {
        closing = true;
        finishIfIdle();
    }

    /** Fails whatever is still outstanding (close() ran out of time). */
    void abandon(String why) {
        List<Pending> left;
        synchronized (this) {
            closing = true;
            left = drainAll();
            if (requests != null) {
                requests.cancel(why, null);
                requests = null;
                call = null;
            }
        }
        fail(left, new DepositException(DepositException.Reason.CLOSED, why));
    }

    /** Sends what flow control allows, opening a stream first when there is none. Holds the lock. */
    private void pump() {
        if (unsent.isEmpty()) {
            return;
        }
        if (requests == null) {
            if (!reconnectScheduled) {
                open();
            }
            return;
        }
        while (requests.isReady() && !unsent.isEmpty()) {
            Pending p = unsent.pollFirst();
            unacked.addLast(p);
            requests.onNext(p.request());
        }
    }

    private void open() {
        Object token = new Object();
        call = token;
        stub.depositStream(new ClientResponseObserver<DepositRequest, DepositReceipt>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<DepositRequest> r) {
                synchronized (DepositLane.this) {
                    requests = r;
                }
                r.setOnReadyHandler(() -> {
                    synchronized (DepositLane.this) {
                        if (call == token) {
                            pump();
                        }
                    }
                });
            }

            @Override
            public void onNext(DepositReceipt receipt) {
                received(token, receipt);
            }

            @Override
            public void onError(Throwable t) {
                ended(token, Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                ended(token, Status.OK);
            }
        });
    }

    private void received(Object token, DepositReceipt receipt) {
        Pending head;
        synchronized (this) {
            if (call != token) {
                return;
            }
            head = unacked.pollFirst();
            if (head == null || !head.request().getProviderRecordId().equals(receipt.getProviderRecordId())) {
                // Never complete a deposit from a receipt that is not its own; end this stream and re-send.
                if (head != null) {
                    unacked.addFirst(head);
                }
                requests.cancel("receipt out of order", null);
                return;
            }
            failedAttempts = 0;
            outageSince = -1;
            finishIfIdle();
        }
        UUID recordId;
        try {
            recordId = UUID.fromString(receipt.getRecordId());
        } catch (IllegalArgumentException e) {
            fail(List.of(head), new DepositException(DepositException.Reason.PROTOCOL, "the receipt's record_id '"
                    + receipt.getRecordId() + "' is not a UUID"));
            return;
        }
        metrics.receipt(System.nanoTime() - head.startNanos());
        head.future().complete(new Receipt(recordId, receipt.getProviderRecordId(), receipt.getAuditIndex(), head.keyId()));
    }

    private void ended(Object token, Status status) {
        List<Pending> failed = new ArrayList<>();
        DepositException failure = null;
        synchronized (this) {
            if (call != token) {
                return;
            }
            call = null;
            requests = null;
            if (status.isOk()) {
                // The service completed the stream (we half-closed); anything left goes out on a new one.
                requeueUnacked();
                pump();
                return;
            }
            if (Failures.retryable(status)) {
                String ended = status.getCode() + (status.getDescription() == null ? "" : " " + status.getDescription());
                int resent = unacked.size();
                requeueUnacked();
                long now = System.nanoTime();
                if (outageSince < 0) {
                    outageSince = now;
                }
                if (now - outageSince > retry.giveUpAfter().toNanos()) {
                    failed.addAll(drainAll());
                    // Whatever ended the last stream, the outcome of these deposits is unknown.
                    failure = new DepositException(DepositException.Reason.UNAVAILABLE, status.getCode(), "no receipt for "
                            + Duration.ofNanos(now - outageSince).toSeconds() + " s (the retry policy gives up after "
                            + retry.giveUpText() + "); the last stream ended " + ended, status.getCause());
                } else {
                    metrics.reconnecting(ended, resent);
                    scheduleReconnect();
                }
            } else if (status.getDescription() != null && status.getDescription().startsWith("request ") && !unacked.isEmpty()) {
                // The service refused the oldest unacknowledged request; the others are fine and go again.
                failed.add(unacked.pollFirst());
                failure = Failures.of("the service refused the deposit", status);
                requeueUnacked();
                pump();
            } else {
                // Refused as a whole (a certificate, a role): nothing sent on this connection can succeed.
                failed.addAll(drainAll());
                failure = Failures.of("the service ended the deposit stream", status);
            }
        }
        if (failure != null && failure.reason() == DepositException.Reason.KEY_NOT_SERVED) {
            keyNotServed.run();
        }
        fail(failed, failure);
    }

    private void scheduleReconnect() {
        failedAttempts++;
        reconnectScheduled = true;
        Duration wait = retry.backoff(failedAttempts, ThreadLocalRandom.current().nextDouble());
        timer.schedule(() -> {
            synchronized (this) {
                reconnectScheduled = false;
                pump();
            }
        }, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void requeueUnacked() {
        while (!unacked.isEmpty()) {
            unsent.addFirst(unacked.pollLast());
        }
    }

    private List<Pending> drainAll() {
        List<Pending> all = new ArrayList<>(unacked);
        all.addAll(unsent);
        unacked.clear();
        unsent.clear();
        return all;
    }

    private void finishIfIdle() {
        if (closing && !halfClosed && unacked.isEmpty() && unsent.isEmpty() && requests != null) {
            halfClosed = true;
            requests.onCompleted();
        }
    }

    private void fail(List<Pending> pending, DepositException e) {
        for (Pending p : pending) {
            metrics.failed(e.reason());
            p.future().completeExceptionally(e);
        }
    }
}
