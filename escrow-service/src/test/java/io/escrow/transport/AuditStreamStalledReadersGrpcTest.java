package io.escrow.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.AuditEvent;
import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.GetTreeHeadRequest;
import io.escrow.proto.v1.StreamAuditRequest;
import io.escrow.testing.Deposits;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * StreamAudit followers that stop reading: more of them than the pool has connections leave
 * the database (ListTreeHeads reads through the pool) and deposits to everyone else, and a
 * replica serves at most {@link AuditGrpcService#MAX_SUBSCRIBERS} of them.
 *
 * <p>This does not reproduce the starvation AbuseBench found (followers waiting for their
 * clients inside a database cursor): grpc-java's client transport takes in more than 12,000
 * events per stream before it holds the server back, and the bench needed a log of 360,000
 * leaves for that. The bench is where the fix was measured.
 */
@QuarkusTest
class AuditStreamStalledReadersGrpcTest {
    @GrpcClient("escrow")
    EscrowServiceGrpc.EscrowServiceBlockingStub escrow;

    @GrpcClient("escrow")
    io.grpc.Channel grpc;

    @GrpcClient("escrow")
    AuditServiceGrpc.AuditServiceBlockingStub audit;

    @Test
    void streamAudit_followersThatStopReading_leaveTheDatabaseToOthers_andAreCapped() throws Exception {
        fillLog(12_000); // more than a stalled stream's buffers hold, so each one stalls mid-log
        int port = io.escrow.testing.GrpcTestPort.actual();
        ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress("localhost", port).usePlaintext()
                .flowControlWindow(16 * 1024).build();
        List<ClientCallStreamObserver<StreamAuditRequest>> calls = new ArrayList<>();
        List<CompletableFuture<Status>> ends = new ArrayList<>();
        try {
            int stalled = 20; // the test pool has 16 connections
            for (int i = 0; i < stalled; i++) {
                ends.add(follow(channel, calls));
            }
            Thread.sleep(3_000); // each has sent what the transport buffers, and waits for its client

            long start = System.nanoTime();
            var head = audit.withDeadlineAfter(5, TimeUnit.SECONDS).getTreeHead(GetTreeHeadRequest.getDefaultInstance());
            long size = Long.parseLong(head.getCheckpoint().toStringUtf8().split("\n")[1]);
            assertTrue(size >= 12_000, "tree size " + size);
            // ListTreeHeads reads the database through the pool (the deposit writer and the head
            // watcher keep connections of their own).
            var heads = audit.withDeadlineAfter(5, TimeUnit.SECONDS).listTreeHeads(
                    io.escrow.proto.v1.ListTreeHeadsRequest.getDefaultInstance());
            assertTrue(heads.hasNext(), "published heads are listed");
            heads.forEachRemaining(h -> { });
            EscrowKey key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
            escrow.withDeadlineAfter(5, TimeUnit.SECONDS).deposit(Deposits.sealed(key, "stalled-" + UUID.randomUUID(), 100, 200, new byte[16]));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));

            for (int i = stalled; i < AuditGrpcService.MAX_SUBSCRIBERS; i++) {
                ends.add(follow(channel, calls));
            }
            Thread.sleep(1_000);
            CompletableFuture<Status> refused = follow(channel, calls);
            Status s = refused.get(10, TimeUnit.SECONDS);
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode(), s.toString());
            assertTrue(ends.stream().noneMatch(CompletableFuture::isDone), "the open followers are still served");
        } finally {
            calls.forEach(c -> c.cancel("test over", null));
            channel.shutdownNow();
        }
    }

    /** A follower from index 0 that reads nothing; the future completes with the status the call ends with. */
    private static CompletableFuture<Status> follow(ManagedChannel channel, List<ClientCallStreamObserver<StreamAuditRequest>> calls) {
        CompletableFuture<Status> end = new CompletableFuture<>();
        AuditServiceGrpc.newStub(channel).streamAudit(StreamAuditRequest.newBuilder().setFollow(true).build(),
                new ClientResponseObserver<StreamAuditRequest, AuditEvent>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<StreamAuditRequest> call) {
                        call.disableAutoRequestWithInitial(0);
                        calls.add(call);
                    }

                    @Override
                    public void onNext(AuditEvent value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        end.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        end.complete(Status.OK);
                    }
                });
        return end;
    }

    private void fillLog(int n) throws Exception {
        EscrowKey key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        CountDownLatch done = new CountDownLatch(1);
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        StreamObserver<DepositRequest> requests = EscrowServiceGrpc.newStub(grpc).depositStream(new StreamObserver<>() {
            public void onNext(DepositReceipt value) {}
            public void onError(Throwable t) {
                failure.complete(t);
                done.countDown();
            }
            public void onCompleted() {
                done.countDown();
            }
        });
        DepositRequest template = Deposits.sealed(key, "fill-" + UUID.randomUUID(), 100, 200, new byte[16]);
        String run = UUID.randomUUID().toString();
        for (int i = 0; i < n; i++) {
            requests.onNext(template.toBuilder().setProviderRecordId(run + "-" + i).build());
        }
        requests.onCompleted();
        assertTrue(done.await(2, TimeUnit.MINUTES), "the fill stream did not finish");
        assertTrue(!failure.isDone(), () -> "fill failed: " + failure.join());
    }
}
