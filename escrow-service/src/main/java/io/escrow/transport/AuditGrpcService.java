package io.escrow.transport;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.escrow.audit.AuditReader;
import io.escrow.audit.LeafStream;
import io.escrow.audit.AuditTree;
import io.escrow.proto.v1.AuditEvent;
import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.GetConsistencyProofRequest;
import io.escrow.proto.v1.GetInclusionProofRequest;
import io.escrow.proto.v1.GetTreeHeadRequest;
import io.escrow.proto.v1.ListTreeHeadsRequest;
import io.escrow.proto.v1.Proof;
import io.escrow.proto.v1.SignedTreeHead;
import io.escrow.proto.v1.StreamAuditRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * AuditService for overseers and operators: the log as a resumable stream, signed tree heads,
 * and inclusion and consistency proofs. Streams read committed rows only and respect the
 * client's flow control, so a slow reader never holds up writers.
 */
@GrpcService
public class AuditGrpcService extends AuditServiceGrpc.AuditServiceImplBase {
    /**
     * Rows read per database visit. The page is read, the connection given back, and only then
     * is the page sent at the client's pace: a client that stops reading must not hold one of
     * the pool's connections (16 such clients once kept the tree-head publisher from the
     * database for 28 s; AbuseBench).
     */
    static final int PAGE_ROWS = 1024;
    /** Open StreamAudit calls, beyond which a new one is refused RESOURCE_EXHAUSTED: each holds a thread. */
    static final int MAX_SUBSCRIBERS = 64;
    /** How long a following stream waits for new leaves before it looks at its client again. */
    static final java.time.Duration FOLLOW_WAIT = java.time.Duration.ofMillis(250);
    /** Pause when the head said there were new leaves but none could be read yet, so the loop never spins. */
    static final long EMPTY_READ_PAUSE_MILLIS = 50;

    @Inject
    jakarta.inject.Provider<AuditTree> tree;

    @Inject
    jakarta.inject.Provider<AuditReader> reader;

    @Inject
    jakarta.inject.Provider<io.escrow.audit.AuditHeadWatcher> head;

    @Inject
    MeterRegistry meters;

    private final AtomicInteger subscribers = new AtomicInteger();
    private final ExecutorService streams = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "audit-stream");
        t.setDaemon(true);
        return t;
    });

    @PostConstruct
    void metrics() {
        Gauge.builder("escrow.audit.stream.subscribers", subscribers, AtomicInteger::get)
                .description("Open StreamAudit calls").register(meters);
        Gauge.builder("escrow.audit.stream.scans", reader, r -> r.get().openScans())
                .description("StreamAudit calls reading the log by sequential scan").register(meters);
    }

    /**
     * How long a stream read by sequential scan waits for its client before it gives the scan
     * back and goes on by index: a scan holds one of the pool's connections.
     */
    static final java.time.Duration SCAN_PATIENCE = java.time.Duration.ofSeconds(2);

    /** How long ListTreeHeads waits for a client that reads nothing before it ends the stream. */
    static final java.time.Duration SLOW_READER = java.time.Duration.ofSeconds(60);

    @Override
    public io.grpc.ServerServiceDefinition bindService() {
        return MalformedRequests.wrap(super.bindService());
    }

    @Override
    public void streamAudit(StreamAuditRequest request, StreamObserver<AuditEvent> response) {
        MalformedRequests.reject(request);
        if (request.getFromIndex() < 0) {
            // uint64 beyond what an index can be: reject rather than wrap around to index 0.
            throw new AuditTree.OutOfRangeException("from_index", "is larger than any index the log can have");
        }
        if (subscribers.incrementAndGet() > MAX_SUBSCRIBERS) {
            subscribers.decrementAndGet();
            throw new TooManySubscribersException();
        }
        FlowControl<AuditEvent> flow = new FlowControl<>((ServerCallStreamObserver<AuditEvent>) response);
        try {
            streams.execute(() -> {
                try {
                    stream(request.getFromIndex(), request.getFollow(), flow);
                    if (!flow.cancelled()) {
                        response.onCompleted();
                    }
                } catch (Throwable t) {
                    if (!flow.cancelled()) {
                        response.onError(GrpcErrorMapping.toStatus(t));
                    }
                } finally {
                    subscribers.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            subscribers.decrementAndGet();
            response.onError(Status.UNAVAILABLE.withDescription("the service is shutting down").asException());
        }
    }

    static final class TooManySubscribersException extends io.escrow.error.EscrowException {
        TooManySubscribersException() {
            super(Category.RESOURCE_EXHAUSTED, MAX_SUBSCRIBERS + " StreamAudit calls are open, the most this replica serves; "
                    + "retry later or follow with ListTreeHeads and GetInclusionProof");
        }
    }

    private void stream(long from, boolean follow, FlowControl<AuditEvent> flow) throws InterruptedException {
        try (LeafStream leaves = reader.get().stream(from)) {
            stream(leaves, follow, flow);
        }
    }

    private void stream(LeafStream leaves, boolean follow, FlowControl<AuditEvent> flow) throws InterruptedException {
        long next = leaves.next();
        List<AuditReader.Row> page = new java.util.ArrayList<>(PAGE_ROWS);
        while (awaitReady(flow, leaves)) {
            page.clear();
            long read = leaves.read(PAGE_ROWS, page::add);
            for (AuditReader.Row r : page) {
                if (!awaitReady(flow, leaves)) {
                    return;
                }
                flow.send(AuditEvent.newBuilder().setIndex(r.index()).setTime(ProtoTime.of(r.time())).setType(r.type())
                        .setActor(r.actor()).setLeaf(UnsafeByteOperations.unsafeWrap(r.leaf())).build());
                next++;
            }
            if (flow.cancelled()) {
                return;
            }
            if (read < PAGE_ROWS) {
                if (!follow) {
                    return;
                }
                if (read == 0 && head.get().awaitMoreThan(next, java.time.Duration.ZERO)) {
                    Thread.sleep(EMPTY_READ_PAUSE_MILLIS);
                } else {
                    head.get().awaitMoreThan(next, FOLLOW_WAIT);
                }
            }
        }
    }

    /**
     * Waits for the client as {@link FlowControl#awaitReady(java.time.Duration)} does, but first
     * gives back the pass's sequential scan, with its connection and snapshot, if the client has
     * not been ready for {@link #SCAN_PATIENCE}.
     */
    private static boolean awaitReady(FlowControl<AuditEvent> flow, LeafStream leaves) throws InterruptedException {
        if (leaves.scanning() && !flow.readyWithin(SCAN_PATIENCE)) {
            leaves.releaseScan();
        }
        return flow.awaitReady(SLOW_READER);
    }

    @Override
    @Blocking
    public void getTreeHead(GetTreeHeadRequest request, StreamObserver<SignedTreeHead> response) {
        MalformedRequests.reject(request);
        response.onNext(toProto(tree.get().publish()));
        response.onCompleted();
    }

    @Override
    @Blocking
    public void listTreeHeads(ListTreeHeadsRequest request, StreamObserver<SignedTreeHead> response) {
        MalformedRequests.reject(request);
        long from = request.getFromSize();
        if (from < 0) {
            // uint64 beyond what a tree size can be: refuse rather than read it as negative.
            throw new AuditTree.OutOfRangeException("from_size", "is larger than any tree size the log can have");
        }
        // Heads go out as the client reads them; one that stops reading for a minute is cut off,
        // so it holds neither memory nor this worker thread.
        FlowControl<SignedTreeHead> flow = new FlowControl<>((ServerCallStreamObserver<SignedTreeHead>) response);
        try {
            while (true) {
                List<io.escrow.audit.SignedTreeHead> heads = tree.get().heads(from, 1000);
                for (io.escrow.audit.SignedTreeHead h : heads) {
                    if (!flow.awaitReady(SLOW_READER)) {
                        return;
                    }
                    flow.send(toProto(h));
                }
                if (heads.size() < 1000) {
                    break;
                }
                from = heads.get(heads.size() - 1).size() + 1;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        response.onCompleted();
    }

    @Override
    @Blocking
    public void getInclusionProof(GetInclusionProofRequest request, StreamObserver<Proof> response) {
        MalformedRequests.reject(request);
        reply(response, tree.get().inclusionProof(request.getIndex(), request.getTreeSize()));
    }

    @Override
    @Blocking
    public void getConsistencyProof(GetConsistencyProofRequest request, StreamObserver<Proof> response) {
        MalformedRequests.reject(request);
        reply(response, tree.get().consistencyProof(request.getFirst(), request.getSecond()));
    }

    private static void reply(StreamObserver<Proof> response, List<byte[]> hashes) {
        Proof.Builder b = Proof.newBuilder();
        hashes.forEach(h -> b.addHashes(ByteString.copyFrom(h)));
        response.onNext(b.build());
        response.onCompleted();
    }

    private static SignedTreeHead toProto(io.escrow.audit.SignedTreeHead h) {
        return SignedTreeHead.newBuilder().setCheckpoint(ByteString.copyFrom(h.checkpoint()))
                .setSignature(ByteString.copyFrom(h.signature())).setPublicKey(ByteString.copyFrom(h.publicKey()))
                .setNote(ByteString.copyFrom(h.note().encode()))
                .addAllLogVkeys(h.logKeys().stream().map(io.escrow.note.VerifierKey::encode).toList()).build();
    }

    @PreDestroy
    void stop() {
        streams.shutdownNow();
    }
}
