package io.escrow.system;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.escrow.proto.v1.ApproveWarrantRequest;
import io.escrow.proto.v1.AuditEvent;
import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.StreamAuditRequest;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.proto.v1.WarrantSpec;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A benchmark, not part of CI ({@code -Dtest=AbuseBench}; phase length {@code -Dabuse.seconds},
 * default 20): the packaged service with mutual TLS, one well-behaved provider depositing at a
 * paced rate throughout, and one abuse at a time beside it. For each phase it prints the
 * well-behaved client's p50/p99 and errors, the service's peak RSS and the abuser's call count.
 */
class AbuseBench {
    private static final int SECONDS = Integer.getInteger("abuse.seconds", 20);
    private static final int GOOD_RATE = 400;

    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final List<Long> latencies = new ArrayList<>();
    private final AtomicLong goodErrors = new AtomicLong();
    private final AtomicLong abuseCalls = new AtomicLong();
    private final AtomicLong peakRssKiB = new AtomicLong();
    private final Map<Status.Code, AtomicLong> abuseStatus = new ConcurrentHashMap<>();
    private volatile boolean abusing;
    /** Counted down when the abuse is in its steady state; only then is the phase measured. */
    private volatile java.util.concurrent.CountDownLatch steady;
    private volatile String setupNote = "";
    private volatile boolean done;
    private TestPki pki;
    private ServiceProcess service;
    private EscrowKey key;

    @Test
    void abuse_leavesRssAndOtherClientsLatencyBounded() throws Exception {
        Path dir = Files.createTempDirectory("escrow-abuse-");
        pki = new TestPki(dir.resolve("pki"), "escrow-bench");
        TestPki.Issued server = pki.issue("server", "CN=localhost", true);
        Map<String, String> env = new java.util.HashMap<>(Map.of("QUARKUS_GRPC_SERVER_PLAIN_TEXT", "false",
                "QUARKUS_GRPC_SERVER_SSL_CERTIFICATE", server.cert().toString(), "QUARKUS_GRPC_SERVER_SSL_KEY", server.key().toString(),
                "QUARKUS_GRPC_SERVER_SSL_TRUST_STORE", pki.caTrustStore().toString(), "QUARKUS_GRPC_SERVER_SSL_TRUST_STORE_TYPE", "pkcs12",
                "QUARKUS_GRPC_SERVER_SSL_TRUST_STORE_PASSWORD", "trust", "QUARKUS_GRPC_SERVER_SSL_CLIENT_AUTH", "REQUIRED",
                "ESCROW_TLS_CLIENT_NAMES", "acme,mallory,watcher,agency,forger"));
        for (String[] c : new String[][] {{"acme", "provider"}, {"mallory", "provider"}, {"watcher", "overseer"}, {"agency", "agency"},
                {"forger", "authority"}}) {
            pki.issue(c[0], "CN=" + c[0], false);
            env.put("ESCROW_TLS_CLIENT_" + c[0].toUpperCase() + "_SUBJECT", "CN=" + c[0]);
            env.put("ESCROW_TLS_CLIENT_" + c[0].toUpperCase() + "_ROLE", c[1]);
        }
        service = ServiceProcess.start(dir, dir.resolve("service.log"), env);
        try {
            long pid = Long.parseLong(Files.readString(dir.resolve("escrow.pid")).trim());
            key = EscrowServiceGrpc.newBlockingStub(channel("acme", 0)).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
            Warrant warrant = fileWarrant();
            byte[] web = CertificateHaystack.approval(warrant.getSignedBytes().toByteArray(), 8, 64 * 1024, true);
            byte[] chain = CertificateHaystack.approval(warrant.getSignedBytes().toByteArray(), 8, 64 * 1024, false);
            List<Thread> background = new ArrayList<>();
            background.add(daemon("rss", () -> sampleRss(pid)));
            for (int i = 0; i < 4; i++) {
                int caller = i;
                background.add(daemon("good-" + i, () -> goodClient(caller)));
            }
            System.out.printf("%nabuse benchmark: %d s per phase, well-behaved provider at %d deposits/s (4 callers), %d cores%n",
                    SECONDS, GOOD_RATE, Runtime.getRuntime().availableProcessors());
            System.out.println("| phase | abuser calls | abuser statuses | good p50 | good p99 | good errors | service RSS peak |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
            phase("warm-up (not counted)", 0, () -> { });
            phase("none (baseline)", 0, () -> { });
            phase("64 DepositStreams (16 connections) and 16 audit followers that never read; writes while held", 1, this::stalledReaders);
            phase("refused calls (FileWarrant by a provider), 64 callers", 64, () -> refused());
            phase("approvals with 8 certificates in 64 KiB (P-384, 7 CAs under one name), 16 callers", 16,
                    () -> approve(warrant.getWarrantId(), web));
            phase("approvals with 8 certificates in 64 KiB (P-384, a chain of 7 named CAs), 16 callers", 16,
                    () -> approve(warrant.getWarrantId(), chain));
            phase("approvals of 4 MB (over the 64 KiB cap), 16 callers", 16,
                    () -> approve(warrant.getWarrantId(), new byte[4_000_000]));
            phase("none (after)", 0, () -> { });
            done = true;
            for (Thread t : background) {
                t.join(5_000);
            }
            printAccessDeniedLeaves();
        } finally {
            channels.values().forEach(ManagedChannel::shutdownNow);
            service.close();
        }
    }

    /** Runs {@code callers} copies of {@code call} (or, with 1, the call once as a setup) for one phase and prints its row. */
    private void phase(String name, int callers, Runnable call) throws Exception {
        abuseCalls.set(0);
        abuseStatus.clear();
        setupNote = "";
        steady = new java.util.concurrent.CountDownLatch(callers == 1 ? 1 : 0);
        abusing = true;
        List<Thread> abusers = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            abusers.add(daemon("abuser-" + i, callers == 1 ? call : () -> {
                while (abusing) {
                    call.run();
                }
            }));
        }
        if (!steady.await(120, TimeUnit.SECONDS)) {
            throw new AssertionError(name + ": the abuse never reached its steady state");
        }
        synchronized (latencies) {
            latencies.clear();
        }
        goodErrors.set(0);
        peakRssKiB.set(0);
        Thread.sleep(SECONDS * 1000L);
        abusing = false;
        long[] sorted;
        synchronized (latencies) {
            sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        }
        System.out.printf("| %s%s | %,d | %s | %.1f ms | %.1f ms | %d of %,d | %d MiB |%n", name, setupNote, abuseCalls.get(), abuseStatus,
                percentile(sorted, 0.50), percentile(sorted, 0.99), goodErrors.get(), sorted.length + goodErrors.get(), peakRssKiB.get() >> 10);
        for (Thread t : abusers) {
            t.join(30_000);
        }
        channels.keySet().removeIf(k -> {
            if (k.startsWith("acme")) {
                return false;
            }
            channels.get(k).shutdownNow();
            return true;
        });
        Thread.sleep(3_000); // let cancelled streams and refused calls drain before the next phase
    }

    private void goodClient(int caller) {
        var stub = EscrowServiceGrpc.newBlockingStub(channel("acme", caller % 2));
        long interval = 4 * 1_000_000_000L / GOOD_RATE;
        long next = System.nanoTime();
        for (long n = 0; !done; n++) {
            next += interval;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(sleep);
            }
            long start = System.nanoTime();
            try {
                stub.withDeadlineAfter(10, TimeUnit.SECONDS).deposit(sealed("good-" + caller + "-" + n));
                synchronized (latencies) {
                    latencies.add(System.nanoTime() - start);
                }
            } catch (StatusRuntimeException e) {
                goodErrors.incrementAndGet();
            }
        }
    }

    /** Streams that write as much as flow control lets them and never read a receipt or an event. */
    private void stalledReaders() {
        List<ClientCallStreamObserver<DepositRequest>> streams = new ArrayList<>();
        DepositRequest template = sealed("template"); // sealed once: the abuser spends its CPU on sending
        for (int c = 0; c < 16; c++) {
            var stub = EscrowServiceGrpc.newStub(channel("mallory", c));
            for (int s = 0; s < 4; s++) {
                stub.depositStream(new NeverReads<DepositRequest, DepositReceipt>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<DepositRequest> call) {
                        super.beforeStart(call);
                        streams.add(call);
                    }
                });
            }
            AuditServiceGrpc.newStub(channel("watcher", c)).streamAudit(StreamAuditRequest.newBuilder().setFollow(true).build(),
                    new NeverReads<StreamAuditRequest, AuditEvent>());
        }
        // Write whenever a stream lets us. Once no stream has taken anything for 2 s, the
        // abuser is held back by its own unread receipts: that is the state measured.
        long start = System.nanoTime();
        long lastWrite = start;
        for (long n = 0; abusing; ) {
            boolean wrote = false;
            for (var call : streams) {
                if (call.isReady()) {
                    call.onNext(template.toBuilder().setProviderRecordId("stalled-" + n++).build());
                    wrote = true;
                }
            }
            if (wrote) {
                lastWrite = System.nanoTime();
            } else {
                if (steady.getCount() > 0 && System.nanoTime() - lastWrite > 2_000_000_000L) {
                    setupNote = String.format(" (held back after %,d deposits in %.1f s)", n, (lastWrite - start) / 1e9);
                    abuseCalls.set(0);
                    steady.countDown();
                }
                sleep(20);
            }
            if (steady.getCount() == 0 && wrote) {
                abuseCalls.addAndGet(1);
            }
        }
        streams.forEach(s -> s.cancel("phase over", null));
    }

    private void refused() {
        try {
            WarrantServiceGrpc.newBlockingStub(channel("mallory", (int) (abuseCalls.get() % 4)))
                    .fileWarrant(FileWarrantRequest.getDefaultInstance());
            count(Status.Code.OK);
        } catch (StatusRuntimeException e) {
            count(e.getStatus().getCode());
        }
    }

    private void approve(String warrantId, byte[] cms) {
        try {
            WarrantServiceGrpc.newBlockingStub(channel("forger", (int) (abuseCalls.get() % 4))).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .approveWarrant(ApproveWarrantRequest.newBuilder().setWarrantId(warrantId).setCmsSignature(ByteString.copyFrom(cms)).build());
            count(Status.Code.OK);
        } catch (StatusRuntimeException e) {
            count(e.getStatus().getCode());
        }
    }

    private void count(Status.Code code) {
        abuseCalls.incrementAndGet();
        abuseStatus.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
    }

    private Warrant fileWarrant() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        var w = ((ECPublicKey) g.generateKeyPair().getPublic()).getW();
        byte[] point = new byte[65];
        point[0] = 4;
        byte[] x = w.getAffineX().toByteArray();
        byte[] y = w.getAffineY().toByteArray();
        System.arraycopy(x, Math.max(0, x.length - 32), point, 1 + Math.max(0, 32 - x.length), Math.min(32, x.length));
        System.arraycopy(y, Math.max(0, y.length - 32), point, 33 + Math.max(0, 32 - y.length), Math.min(32, y.length));
        long now = System.currentTimeMillis() / 1000;
        byte[] nonce = new byte[16];
        new java.security.SecureRandom().nextBytes(nonce);
        return WarrantServiceGrpc.newBlockingStub(channel("agency", 0)).fileWarrant(FileWarrantRequest.newBuilder()
                .setSpec(WarrantSpec.newBuilder().setCaseReference("ABUSE-1").setRequestingAgency("bench").addSubjectIds("carol@example.org")
                        .setCoversFrom(ts(1_600_000_000L)).setCoversUntil(ts(1_800_000_000L)).setNotBefore(ts(now - 60))
                        .setNotAfter(ts(now + 3600)).setMaxRecords(10).setRecipientPublicKey(ByteString.copyFrom(point))
                        .setNonce(ByteString.copyFrom(nonce))).build());
    }

    /** Refusals beyond the audit queue are summarised; print how many calls the access_denied leaves account for. */
    private void printAccessDeniedLeaves() throws Exception {
        try (var c = DriverManager.getConnection(service.embeddedJdbcUrl()); var st = c.createStatement();
             var rs = st.executeQuery("select leaf from audit_log where type = 'access_denied'")) {
            long leaves = 0;
            long calls = 0;
            while (rs.next()) {
                leaves++;
                calls += Long.parseLong(io.escrow.audit.AuditEntry.decode(rs.getBytes(1)).text("count").orElse("1"));
            }
            System.out.printf("access_denied leaves: %,d, accounting for %,d refused calls%n", leaves, calls);
        }
    }

    private DepositRequest sealed(String id) {
        try {
            return EmbeddedServiceSystemTest.sealed(key, id);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private ManagedChannel channel(String client, int n) {
        return channels.computeIfAbsent(client + "-" + n, k -> {
            try {
                var ssl = GrpcSslContexts.forClient().trustManager(pki.caPem().toFile())
                        .keyManager(pki.dir.resolve(client + ".crt").toFile(), pki.dir.resolve(client + ".key").toFile()).build();
                var builder = NettyChannelBuilder.forAddress("localhost", service.grpcPort).sslContext(ssl).maxInboundMessageSize(8 << 20);
                if (client.equals("acme")) {
                    // Channels share grpc-java's default event loops: without its own, the
                    // well-behaved client would queue behind the abuser inside this process.
                    builder.eventLoopGroup(new io.netty.channel.nio.NioEventLoopGroup(1))
                            .channelType(io.netty.channel.socket.nio.NioSocketChannel.class)
                            .executor(java.util.concurrent.Executors.newSingleThreadExecutor());
                }
                return builder.build();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private void sampleRss(long pid) {
        while (!done) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        long kib = Long.parseLong(line.replaceAll("\\D", ""));
                        peakRssKiB.accumulateAndGet(kib, Math::max);
                    }
                }
            } catch (Exception e) {
                return;
            }
            sleep(100);
        }
    }

    private static double percentile(long[] sorted, double p) {
        return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    private static Timestamp ts(long seconds) {
        return Timestamp.newBuilder().setSeconds(seconds).build();
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A response observer that asks for nothing: the server may send only what the first window holds. */
    private class NeverReads<ReqT, RespT> implements ClientResponseObserver<ReqT, RespT> {
        @Override
        public void beforeStart(ClientCallStreamObserver<ReqT> call) {
            call.disableAutoRequestWithInitial(0);
        }

        @Override
        public void onNext(RespT value) {
        }

        @Override
        public void onError(Throwable t) {
            Status.Code code = Status.fromThrowable(t).getCode();
            if (code != Status.Code.CANCELLED) { // cancelled by this benchmark at the end of the phase
                abuseStatus.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
            }
        }

        @Override
        public void onCompleted() {
        }
    }
}
