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
        int port = io.escrow.testing.GrpcTestPort.actual();
        io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress("localhost", port).usePlaintext()
                .flowControlWindow(16 * 1024).build();
        try {
            run(key, channel);
        } finally {
            channel.shutdownNow();
        }
    }

    /**
     * Each stream holds up to WINDOW unread receipts, so one caller's streams are capped: the next
     * is refused at once, on any connection, and a closed stream gives its slot back.
     */
    @Test
    void depositStream_beyondTheCallersStreams_isResourceExhausted_untilOneCloses() throws Exception {
        EscrowKey key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        int port = io.escrow.testing.GrpcTestPort.actual();
        java.util.List<io.grpc.ManagedChannel> channels = new java.util.ArrayList<>();
        try {
            java.util.List<ClientCall<DepositRequest, DepositReceipt>> open = new java.util.ArrayList<>();
            java.util.List<CompletableFuture<Status>> closes = new java.util.ArrayList<>();
            for (int i = 0; i <= DepositStreamSlots.DEFAULT; i++) {
                // A connection each: the bound is per caller, not per connection.
                io.grpc.ManagedChannel ch = io.grpc.netty.NettyChannelBuilder.forAddress("localhost", port).usePlaintext().build();
                channels.add(ch);
                CompletableFuture<Status> closed = new CompletableFuture<>();
                open.add(start(ch, closed));
                closes.add(closed);
                if (i < DepositStreamSlots.DEFAULT) {
                    // Opened in order: the server holds this one once it acknowledges a deposit on it.
                    awaitOpen(key, open.get(i), closed);
                }
            }
            Status refused = closes.get(DepositStreamSlots.DEFAULT).get(30, TimeUnit.SECONDS);
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getCode(), refused.toString());
            assertTrue(refused.getDescription().contains(DepositStreamSlots.KEY), refused.getDescription());

            open.get(0).halfClose();
            assertEquals(Status.Code.OK, closes.get(0).get(30, TimeUnit.SECONDS).getCode());
            CompletableFuture<Status> again = new CompletableFuture<>();
            ClientCall<DepositRequest, DepositReceipt> next = start(channels.get(0), again);
            awaitOpen(key, next, again);
            next.halfClose();
            assertEquals(Status.Code.OK, again.get(30, TimeUnit.SECONDS).getCode(), "a closed stream's slot is free again");
            for (int i = 1; i < DepositStreamSlots.DEFAULT; i++) {
                open.get(i).cancel("test over", null);
            }
        } finally {
            channels.forEach(io.grpc.ManagedChannel::shutdownNow);
        }
    }

    private final java.util.Map<ClientCall<?, ?>, CompletableFuture<DepositReceipt>> firstReceipts = new java.util.concurrent.ConcurrentHashMap<>();

    private ClientCall<DepositRequest, DepositReceipt> start(Channel channel, CompletableFuture<Status> closed) {
        ClientCall<DepositRequest, DepositReceipt> call = channel.newCall(EscrowServiceGrpc.getDepositStreamMethod(),
                CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.MINUTES));
        CompletableFuture<DepositReceipt> first = new CompletableFuture<>();
        firstReceipts.put(call, first);
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(DepositReceipt message) {
                first.complete(message);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, new Metadata());
        call.request(Integer.MAX_VALUE);
        return call;
    }

    /** Sends one deposit and waits for its receipt: then the server certainly holds the stream. */
    private void awaitOpen(EscrowKey key, ClientCall<DepositRequest, DepositReceipt> call, CompletableFuture<Status> closed) throws Exception {
        call.sendMessage(Deposits.sealed(key, "slots-" + UUID.randomUUID(), 100, 200, new byte[16]));
        CompletableFuture.anyOf(firstReceipts.get(call), closed).get(30, TimeUnit.SECONDS);
        assertTrue(firstReceipts.get(call).isDone(), () -> "closed before its first receipt: " + closed.join());
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
