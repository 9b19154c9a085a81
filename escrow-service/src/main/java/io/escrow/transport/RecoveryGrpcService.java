package io.escrow.transport;

import io.escrow.proto.v1.RecoverRequest;
import io.escrow.proto.v1.RecoveredKey;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.recovery.RecoveryService;
import io.escrow.recovery.RecoverySink;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * RecoveryService: streams the keys a warrant releases. Each recovery runs on a thread of its own
 * pool (it blocks on tokens and the database) and respects the client's flow control, so a slow
 * client holds back decryption instead of piling up sealed keys in memory.
 */
@GrpcService
public class RecoveryGrpcService extends RecoveryServiceGrpc.RecoveryServiceImplBase {
    /** Token ECDH does not scale past a few threads; more concurrent recoveries only queue. */
    static final int WORKERS = 4;
    /** Recoveries that may wait for a worker; beyond them, Recover answers UNAVAILABLE at once. */
    static final int QUEUED = 32;

    @Inject
    jakarta.inject.Provider<RecoveryService> recovery;

    /**
     * How long a recovery waits for a client that reads nothing before it ends the stream
     * (UNAVAILABLE; the releases stay committed and a later Recover sends them), so that an
     * agency that stops reading gives its worker back to everyone else's recoveries.
     */
    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "escrow.recovery.slow-reader-timeout", defaultValue = "PT60S")
    java.time.Duration slowReader;

    private final AtomicInteger threadIds = new AtomicInteger();
    private final java.util.concurrent.ThreadPoolExecutor workers = new java.util.concurrent.ThreadPoolExecutor(WORKERS, WORKERS, 0,
            TimeUnit.SECONDS, new java.util.concurrent.ArrayBlockingQueue<>(QUEUED), r -> {
                Thread t = new Thread(r, "recovery-" + threadIds.incrementAndGet());
                t.setDaemon(true);
                return t;
            });

    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.wrap(super.bindService());
    }

    @Override
    public void recover(RecoverRequest request, StreamObserver<RecoveredKey> response) {
        MalformedRequests.reject(request);
        String caller = CallerIdentity.current().name();
        FlowControlledSink sink = new FlowControlledSink((ServerCallStreamObserver<RecoveredKey>) response, slowReader);
        try {
            workers.execute(() -> {
                try {
                    var report = recovery.get().recover(caller, request.getWarrantId(), request.getOnlyNew(), sink);
                    // OK with trailers: StreamObserver has no onCompleted(trailers), and grpc-java
                    // closes the call with the status and trailers of what onError is given.
                    response.onError(io.grpc.Status.OK.asRuntimeException(RecoveryTrailers.of(report)));
                } catch (Throwable t) {
                    if (t instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    response.onError(GrpcErrorMapping.toStatus(t));
                }
            });
        } catch (RejectedExecutionException e) {
            response.onError(io.grpc.Status.UNAVAILABLE.withDescription(workers.isShutdown() ? "the service is shutting down"
                    : "all " + WORKERS + " recovery workers are busy and " + QUEUED + " recoveries wait; try again shortly").asException());
        }
    }

    /** The recovery's view of the client stream. */
    private static final class FlowControlledSink implements RecoverySink {
        private final FlowControl<RecoveredKey> flow;
        private final java.time.Duration slowReader;

        FlowControlledSink(ServerCallStreamObserver<RecoveredKey> call, java.time.Duration slowReader) {
            // A page of keys is at most about 40 KiB; buffering a few pages keeps the sender busy.
            this.flow = new FlowControl<>(call, 256 * 1024);
            this.slowReader = slowReader;
        }

        @Override
        public boolean awaitReady() throws InterruptedException {
            return flow.awaitReady(slowReader);
        }

        @Override
        public void send(io.escrow.recovery.RecoveredKey key) {
            flow.send(WarrantMessages.toProto(key));
        }
    }

    @PreDestroy
    void stop() throws InterruptedException {
        workers.shutdownNow();
        workers.awaitTermination(5, TimeUnit.SECONDS);
    }
}
