package io.escrow.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.testing.Deposits;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A DepositStream client that writes but never reads its receipts is held back: the server
 * stops taking requests once its receipts are not read, instead of queueing receipts without
 * bound. Once the client reads, every deposit it sent is acknowledged, in order.
 */
@QuarkusTest
class DepositStreamBackpressureGrpcTest {
    @GrpcClient("escrow")
    EscrowServiceGrpc.EscrowServiceBlockingStub escrow;

    @Test
    void depositStream_clientThatNeverReads_isHeldNearTheWindow() throws Exception {
        EscrowKey key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        // A small receive window, so that unread receipts stop the server's writes soon: what the
        // test checks is that the server then stops taking requests, not how much HTTP/2 buffers.
        int port = org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class);
        io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress("localhost", port).usePlaintext()
                .flowControlWindow(16 * 1024).build();
        try {
            run(key, channel);
        } finally {
            channel.shutdownNow();
        }
    }

    private void run(EscrowKey key, Channel channel) throws Exception {
        ClientCall<DepositRequest, DepositReceipt> call = channel.newCall(EscrowServiceGrpc.getDepositStreamMethod(),
                CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.MINUTES));
        AtomicInteger receipts = new AtomicInteger();
        CompletableFuture<Status> closed = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(DepositReceipt message) {
                receipts.incrementAndGet();
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, new Metadata());
        // No call.request(): the client reads no receipt. Write while the transport lets us.
        int limit = 5 * DepositStreamHandler.WINDOW;
        int sent = 0;
        long notReadySince = 0;
        String subject = "backpressure-" + UUID.randomUUID();
        while (sent < limit) {
            if (call.isReady()) {
                call.sendMessage(Deposits.sealed(key, subject, 100, 200, new byte[16]));
                sent++;
                notReadySince = 0;
            } else if (notReadySince == 0) {
                notReadySince = System.nanoTime();
            } else if (System.nanoTime() - notReadySince > 3_000_000_000L) {
                break; // held back for 3 s: the server takes no more
            } else {
                Thread.sleep(20);
            }
        }
        assertTrue(sent < 3 * DepositStreamHandler.WINDOW,
                "a client that reads nothing was let in " + sent + " requests (window " + DepositStreamHandler.WINDOW + ")");

        call.request(Integer.MAX_VALUE);
        call.halfClose();
        assertEquals(Status.Code.OK, closed.get(2, TimeUnit.MINUTES).getCode());
        assertEquals(sent, receipts.get(), "every deposit sent is acknowledged once the client reads");
    }
}
