package io.escrow.transport;

import io.grpc.stub.ServerCallStreamObserver;

/**
 * Server-streaming with the client's flow control: a producer thread blocks while the client is
 * not ready, so a slow reader holds back its own stream and nothing piles up in memory.
 */
final class FlowControl<T> {
    private final ServerCallStreamObserver<T> call;
    private final Object lock = new Object();
    private volatile boolean cancelled;

    /**
     * Bytes the transport may buffer before the producer waits. gRPC's default (32 KiB) is a
     * couple of hundred small audit events, which makes a fast producer stop and start constantly.
     */
    static final int BUFFER_BYTES = 1 << 20;

    FlowControl(ServerCallStreamObserver<T> call) {
        this(call, BUFFER_BYTES);
    }

    /** @param bufferBytes what the transport may buffer before the producer waits */
    FlowControl(ServerCallStreamObserver<T> call, int bufferBytes) {
        this.call = call;
        call.setOnReadyThreshold(bufferBytes);
        call.setOnReadyHandler(this::wake);
        call.setOnCancelHandler(() -> {
            cancelled = true;
            wake();
        });
    }

    private void wake() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    /** Blocks until the client can take more; false once it has gone away. */
    boolean awaitReady() throws InterruptedException {
        if (call.isReady() || cancelled) {
            return !cancelled;
        }
        synchronized (lock) {
            while (!cancelled && !call.isReady()) {
                lock.wait(1000);
            }
        }
        return !cancelled;
    }

    /** The client read nothing for too long: its stream ends so that it holds no server thread. */
    static final class SlowReaderException extends io.escrow.error.EscrowException {
        SlowReaderException(java.time.Duration waited) {
            super(Category.UNAVAILABLE, "the client read nothing for " + waited.toSeconds() + " s; the stream is closed");
        }
    }

    /**
     * As {@link #awaitReady()}, but gives up after {@code max} with SlowReaderException, for
     * streams served on a shared worker thread.
     */
    boolean awaitReady(java.time.Duration max) throws InterruptedException {
        if (!readyWithin(max)) {
            throw new SlowReaderException(max);
        }
        return !cancelled;
    }

    /** True once the client can take more, or has gone away, within {@code max}; false if it has not. */
    boolean readyWithin(java.time.Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (lock) {
            while (!cancelled && !call.isReady()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, Math.min(1000, left / 1_000_000)));
            }
        }
        return true;
    }

    boolean cancelled() {
        return cancelled;
    }

    void send(T message) {
        if (!cancelled) {
            call.onNext(message);
        }
    }
}
