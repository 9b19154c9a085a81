package io.escrow.system;

import io.escrow.client.DepositSealer;
import io.escrow.client.EscrowClient;
import io.escrow.client.Receipt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The SDK side of {@link SdkBench}, in its own JVM so that its RSS is the SDK's alone:
 * {@code SdkLoad host:port seconds custodian=ca.pem...}. Two producer threads (one per core
 * here) seal and deposit through one EscrowClient with one stream, for a warm-up period and
 * then {@code seconds}; it prints receipts per second over the measured period and the peak RSS.
 */
public final class SdkLoad {
    private SdkLoad() {}

    public static void main(String[] args) throws Exception {
        String target = args[0];
        long seconds = Long.parseLong(args[1]);
        var builder = EscrowClient.builder().target(target).plaintext().streams(1).maxInFlight(4_096, EscrowClient.WhenFull.BLOCK);
        for (int i = 2; i < args.length; i++) {
            String[] pin = args[i].split("=", 2);
            builder.pinCustodian(pin[0], Path.of(pin[1]));
        }
        AtomicLong receipts = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        long warmEnd = System.nanoTime() + 5_000_000_000L;
        long end = warmEnd + seconds * 1_000_000_000L;
        long[] atWarmEnd = new long[1];
        long[] atEnd = new long[1];
        String run = Long.toString(System.currentTimeMillis(), 36);
        try (EscrowClient client = builder.build()) {
            Thread[] producers = new Thread[2];
            for (int t = 0; t < producers.length; t++) {
                int id = t;
                producers[t] = new Thread(() -> {
                    SecureRandom rng = new SecureRandom();
                    long n = 0;
                    while (System.nanoTime() < end) {
                        byte[] key = new byte[32];
                        rng.nextBytes(key);
                        long from = 1_760_000_000L + (n % 100_000);
                        CompletableFuture<Receipt> f = client.deposit("sdk-load-subject-" + (n % 64), Instant.ofEpochSecond(from),
                                Instant.ofEpochSecond(from + 3600), key, "sdk-load-" + run + "-" + id + "-" + n++);
                        f.whenComplete((r, e) -> {
                            if (e != null) {
                                failures.incrementAndGet();
                                return;
                            }
                            long c = receipts.incrementAndGet();
                            long now = System.nanoTime();
                            if (now < warmEnd) {
                                atWarmEnd[0] = c;
                            } else if (now < end) {
                                atEnd[0] = c;
                            }
                        });
                    }
                }, "sdk-producer-" + t);
                producers[t].start();
            }
            for (Thread p : producers) {
                p.join();
            }
        }
        double sealedRaw = sealedRawStream(target, seconds);
        // One thread sealing alone, for scale: what a core spends per deposit before the network.
        byte[] pub = new byte[65];
        long sealStart = System.nanoTime();
        int sealed = 0;
        var rng = new SecureRandom();
        var kp = java.security.KeyPairGenerator.getInstance("EC");
        kp.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        var point = ((java.security.interfaces.ECPublicKey) kp.generateKeyPair().getPublic()).getW();
        pub[0] = 4;
        byte[] x = point.getAffineX().toByteArray();
        byte[] y = point.getAffineY().toByteArray();
        System.arraycopy(x, Math.max(0, x.length - 32), pub, 1 + 32 - Math.min(32, x.length), Math.min(32, x.length));
        System.arraycopy(y, Math.max(0, y.length - 32), pub, 33 + 32 - Math.min(32, y.length), Math.min(32, y.length));
        while (System.nanoTime() - sealStart < 3_000_000_000L) {
            byte[] key = new byte[32];
            rng.nextBytes(key);
            DepositSealer.seal("ek", pub, "s", 1, 2, key);
            sealed++;
        }
        double sealRate = sealed / ((System.nanoTime() - sealStart) / 1e9);
        String status = Files.readString(Path.of("/proc/self/status"));
        System.out.printf("sdk: %.0f receipts/s over %d s (after a 5 s warm-up), %d failures%n", (atEnd[0] - atWarmEnd[0]) / (double) seconds,
                seconds, failures.get());
        System.out.printf("sdk: one thread seals %.0f deposits/s alone%n", sealRate);
        System.out.printf("plain gRPC stream, sealing each deposit the same way (2 sealing threads, 1 stream): %.0f receipts/s%n", sealedRaw);
        System.out.println("sdk JVM: " + line(status, "VmHWM") + " peak RSS, " + line(status, "VmRSS") + " now");
    }

    /**
     * The same work without the SDK's machinery (no futures, no key cache, no re-send queue): two
     * threads seal with {@link DepositSealer} into a queue that one plain DepositStream drains
     * under flow control. Receipts per second over {@code seconds}, after a 5 s warm-up.
     */
    private static double sealedRawStream(String target, long seconds) throws Exception {
        String[] hp = target.split(":");
        io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext().build();
        try {
            var key = io.escrow.proto.v1.EscrowServiceGrpc.newBlockingStub(channel)
                    .getEscrowKey(io.escrow.proto.v1.GetEscrowKeyRequest.getDefaultInstance());
            var queue = new java.util.concurrent.ArrayBlockingQueue<io.escrow.proto.v1.DepositRequest>(4_096);
            long warmEnd = System.nanoTime() + 5_000_000_000L;
            long end = warmEnd + seconds * 1_000_000_000L;
            String run = "raw-" + Long.toString(System.currentTimeMillis(), 36);
            AtomicLong seq = new AtomicLong();
            for (int t = 0; t < 2; t++) {
                Thread th = new Thread(() -> {
                    SecureRandom rng = new SecureRandom();
                    while (System.nanoTime() < end) {
                        byte[] sk = new byte[32];
                        rng.nextBytes(sk);
                        long n = seq.incrementAndGet();
                        long from = 1_760_000_000L + (n % 100_000);
                        var sealed = DepositSealer.seal(key.getKeyId(), key.getPublicKey().toByteArray(), "sdk-load-subject-" + (n % 64),
                                from, from + 3600, sk);
                        var req = io.escrow.proto.v1.DepositRequest.newBuilder().setProviderRecordId(run + "-" + n)
                                .setSubjectId("sdk-load-subject-" + (n % 64)).setKeyId(key.getKeyId())
                                .setCoversFrom(com.google.protobuf.Timestamp.newBuilder().setSeconds(from))
                                .setCoversUntil(com.google.protobuf.Timestamp.newBuilder().setSeconds(from + 3600))
                                .setEnc(com.google.protobuf.ByteString.copyFrom(sealed.enc()))
                                .setCiphertext(com.google.protobuf.ByteString.copyFrom(sealed.ciphertext())).build();
                        try {
                            while (!queue.offer(req, 100, java.util.concurrent.TimeUnit.MILLISECONDS) && System.nanoTime() < end) {
                                // Full: the stream is the bottleneck for now.
                            }
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "raw-sealer-" + t);
                th.setDaemon(true);
                th.start();
            }
            AtomicLong receipts = new AtomicLong();
            long[] marks = new long[2];
            var done = new java.util.concurrent.CountDownLatch(1);
            io.escrow.proto.v1.EscrowServiceGrpc.newStub(channel).depositStream(
                    new io.grpc.stub.ClientResponseObserver<io.escrow.proto.v1.DepositRequest, io.escrow.proto.v1.DepositReceipt>() {
                        @Override
                        public void beforeStart(io.grpc.stub.ClientCallStreamObserver<io.escrow.proto.v1.DepositRequest> requests) {
                            Object ready = new Object();
                            requests.setOnReadyHandler(() -> {
                                synchronized (ready) {
                                    ready.notifyAll();
                                }
                            });
                            Thread sender = new Thread(() -> {
                                try {
                                    while (System.nanoTime() < end) {
                                        var r = queue.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                                        if (r == null) {
                                            continue;
                                        }
                                        synchronized (ready) {
                                            while (!requests.isReady()) {
                                                ready.wait(10);
                                            }
                                        }
                                        synchronized (requests) {
                                            requests.onNext(r);
                                        }
                                    }
                                    synchronized (requests) {
                                        requests.onCompleted();
                                    }
                                } catch (InterruptedException e) {
                                    requests.cancel("interrupted", e);
                                }
                            }, "raw-sender");
                            sender.setDaemon(true);
                            sender.start();
                        }

                        @Override
                        public void onNext(io.escrow.proto.v1.DepositReceipt value) {
                            long c = receipts.incrementAndGet();
                            long now = System.nanoTime();
                            if (now < warmEnd) {
                                marks[0] = c;
                            } else if (now < end) {
                                marks[1] = c;
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            done.countDown();
                        }
                    });
            done.await();
            return (marks[1] - marks[0]) / (double) seconds;
        } finally {
            channel.shutdownNow();
        }
    }

    private static String line(String status, String name) {
        return status.lines().filter(l -> l.startsWith(name + ":")).map(l -> l.substring(name.length() + 1).strip()).findFirst().orElse("?");
    }
}
