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

    FlowControl(ServerCallStreamObserver<T> call) {
        this.call = call;
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

    boolean cancelled() {
        return cancelled;
    }

    void send(T message) {
        if (!cancelled) {
            call.onNext(message);
        }
    }
}
