package io.escrow.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.RecoverRequest;
import io.escrow.proto.v1.RecoveredKey;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.testing.Deposits;
import io.escrow.testing.TestAuthorities;
import io.escrow.testing.Warrants;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * An agency that stops reading its Recover stream gives its worker back: after
 * escrow.recovery.slow-reader-timeout the stream ends UNAVAILABLE, and the keys not sent are
 * sent by the next Recover.
 */
@QuarkusTest
@TestProfile(SlowReaderProfile.class)
@QuarkusTestResource(TestAuthorities.class)
class RecoverySlowReaderGrpcTest {
    @GrpcClient("escrow")
    EscrowServiceGrpc.EscrowServiceBlockingStub escrow;

    @GrpcClient("escrow")
    io.grpc.Channel shared;

    @GrpcClient("escrow")
    WarrantServiceGrpc.WarrantServiceBlockingStub warrants;

    @GrpcClient("escrow")
    RecoveryServiceGrpc.RecoveryServiceBlockingStub recovery;

    static final int RECORDS = 3000;

    @Test
    void recover_clientThatStopsReading_isCutOff_andTheNextRecoverSendsTheRest() throws Exception {
        EscrowKey key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        String subject = "slow-reader-" + UUID.randomUUID();
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<DepositRequest> out = EscrowServiceGrpc.newStub(shared).depositStream(new StreamObserver<>() {
            public void onNext(DepositReceipt r) {}
            public void onError(Throwable t) { done.completeExceptionally(t); }
            public void onCompleted() { done.complete(null); }
        });
        for (int i = 0; i < RECORDS; i++) {
            out.onNext(Deposits.sealed(key, subject, 100, 200, new byte[16]));
        }
        out.onCompleted();
        done.get(2, TimeUnit.MINUTES);
        Warrant w = Warrants.fileApproved(warrants, Warrants.spec(Warrants.recipient(), 100, 300, RECORDS, subject));

        // A client with a small receive window that reads nothing for 15 s, then everything.
        int port = io.escrow.testing.GrpcTestPort.actual();
        ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress("localhost", port).usePlaintext()
                .flowControlWindow(16 * 1024).build();
        AtomicInteger received = new AtomicInteger();
        CompletableFuture<Status> closed = new CompletableFuture<>();
        try {
            ClientCall<RecoverRequest, RecoveredKey> call = channel.newCall(RecoveryServiceGrpc.getRecoverMethod(),
                    CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.MINUTES));
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(RecoveredKey message) {
                    received.incrementAndGet();
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    closed.complete(status);
                }
            }, new Metadata());
            call.sendMessage(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
            call.halfClose();
            // Read nothing for 15 s: the server fills the window and its 256 KiB within a few seconds
            // even on a loaded machine, then gives up after 2 s. (The client only sees the close once
            // it reads what was delivered before it, so it must read in the end.)
            Thread.sleep(15_000);
            call.request(Integer.MAX_VALUE);
            Status status = closed.get(1, TimeUnit.MINUTES);
            assertEquals(Status.Code.UNAVAILABLE, status.getCode(), status.toString());
            assertTrue(status.getDescription().contains("read nothing"), status.getDescription());
        } finally {
            channel.shutdownNow();
        }
        assertTrue(received.get() < RECORDS, "cut off before the end: " + received.get());

        List<RecoveredKey> again = new ArrayList<>();
        recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build()).forEachRemaining(again::add);
        assertEquals(RECORDS, again.size(), "the next Recover sends every record");
    }
}
