package io.escrow.cli;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * escrowctl load: a load generator for a running service on loopback. Measures, in one run, a
 * no-op unary RPC (gRPC health check) as the reference, unary Deposit at concurrency 1 and 32,
 * DepositStream throughput, and the service's resident memory.
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = {"Load-test a running service (plaintext development mode) and print rates, latencies and RSS.",
                "Deposits are sealed once up front and reused with fresh provider_record_ids."})
final class LoadCommand implements Callable<Integer> {
    @Option(names = "--target", defaultValue = "localhost:9000", description = "host:port of the gRPC server (default: ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--seconds", defaultValue = "5", description = "duration of each phase (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--pid", description = "service process id for RSS (default: read from <data-dir>/escrow.pid)")
    Long pid;

    @Option(names = "--token-latency", description = "Check that the service delays every in-token ECDH by this much "
            + "(e.g. 2ms; the service was started with ESCROW_EMBEDDED_TOKEN_LATENCY, embedded mode only, as a network "
            + "HSM's round trip) and say so in the report.")
    String tokenLatency;

    @Option(names = "--recovery", defaultValue = "10000",
            description = "records for the recovery phase; 0 skips it (default: ${DEFAULT-VALUE})")
    int recovery;

    @Option(names = "--soak", description = "Instead of the phases: a soak of this length (ISO-8601, e.g. PT30M) mixing "
            + "paced deposits, a recovery each minute and an audit follower, reporting each minute.")
    Duration soak;

    @Option(names = "--soak-rate", defaultValue = "500", description = "deposits per second during a soak (default: ${DEFAULT-VALUE})")
    int soakRate;

    @Option(names = "--metrics-url", description = "the service's metrics, for the checkpoint age during a soak "
            + "(default: http://<target host>:8080/q/metrics)")
    String metricsUrl;

    @Option(names = "--fill", description = "Instead of the phases: fill the database with this many valid deposits "
            + "(4 DepositStreams), showing progress; resumable (see --fill-state).")
    Long fill;

    @Option(names = "--fill-state", description = "where --fill keeps its seed and progress, to resume after a stop "
            + "(default: <data-dir>/load-fill.state)")
    Path fillState;

    @Option(names = "--scale", split = ",", description = "Instead of the phases: fill to each of these deposit counts in "
            + "turn (e.g. 1000000,50000000) and measure, at each, DepositStream rate, unary Deposit p99, the recovery rate of "
            + "a subject with --recovery records, GetInclusionProof p99 and a full audit verify; then their ratios.")
    List<Long> scale;

    private static final int POOL = 512;

    @Override
    public Integer call() throws Exception {
        if (scale != null && (scale.isEmpty() || scale.stream().anyMatch(l -> l < 1) || recovery < 1
                || !scale.equals(scale.stream().sorted().distinct().toList()))) {
            throw CliException.usage("--scale takes ascending deposit counts of at least 1, and --recovery at least 1");
        }
        java.time.Duration latency = tokenLatency == null ? null : TimeArgs.tokenLatency(tokenLatency);
        String[] hp = target.split(":");
        ManagedChannel channel = ManagedChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext()
                .maxInboundMessageSize(4 << 20).build();
        try {
            EscrowKey key = EscrowServiceGrpc.newBlockingStub(channel).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
            if (latency != null) {
                requireTokenLatency(channel, latency);
            }
            // The fill seals its own seeded pool, so it goes before this one is sealed.
            if (fill != null) {
                if (fill < 1) {
                    throw CliException.usage("--fill must be at least 1");
                }
                new FillLoad(channel, key, fillState != null ? fillState : dataDir().resolve("load-fill.state")).run(fill);
                return 0;
            }
            if (scale != null) {
                new ScaleLoad(this, channel, key, CliConfig.settings(null, java.util.Map.of()),
                        fillState != null ? fillState : dataDir().resolve("load-fill.state"), target).run(scale, recovery);
                return 0;
            }
            List<DepositRequest> pool = sealPool(key);
            String run = Long.toString(System.currentTimeMillis(), 36);
            AtomicLong seq = new AtomicLong();
            var blocking = EscrowServiceGrpc.newBlockingStub(channel);
            var health = HealthGrpc.newBlockingStub(channel);
            IntConsumer deposit = i -> blocking.deposit(pool.get(i % POOL).toBuilder()
                    .setProviderRecordId("load-" + run + "-" + seq.incrementAndGet()).build());
            IntConsumer noop = i -> health.check(HealthCheckRequest.getDefaultInstance());
            if (soak != null) {
                if (soak.isNegative() || soak.isZero() || soakRate < 1 || soakRate > 100_000) {
                    throw CliException.usage("--soak must be positive and --soak-rate 1..100000");
                }
                new SoakLoad(channel, CliConfig.settings(null, java.util.Map.of()), key, pool).run(soak, soakRate,
                        pid != null ? pid : readPid(), metricsUrl != null ? metricsUrl : "http://" + hp[0] + ":8080/q/metrics", target);
                return 0;
            }

            System.out.printf("escrowctl load: %s, key %s, %d s per phase, %d cores%n", target, key.getKeyId(), seconds,
                    Runtime.getRuntime().availableProcessors());
            // A freshly started service runs interpreted code for a while; warm both paths first.
            System.out.println("warming up (deposits, no-op and a stream, " + seconds + " s each, not counted) ...");
            unary(deposit, 32);
            unary(noop, 32);
            stream(channel, pool, run + "w");
            long servicePid = pid != null ? pid : readPid();
            CpuShares cpu = new CpuShares(servicePid, Optional.of(dataDir().resolve("postgres").resolve("postmaster.pid")));
            CpuShares.Snapshot before = cpu.take();
            Result noop32 = unary(noop, 32);
            System.out.println("no-op unary (health check), c=32:   " + noop32);
            before = printCpu(cpu, before);
            Result dep1 = unary(deposit, 1);
            System.out.println("unary Deposit, c=1:                  " + dep1);
            before = printCpu(cpu, before);
            Result dep32 = unary(deposit, 32);
            System.out.println("unary Deposit, c=32:                 " + dep32);
            before = printCpu(cpu, before);
            double stream = stream(channel, pool, run);
            System.out.printf("DepositStream, 1 stream:             %,10.0f records/s%n", stream);
            printCpu(cpu, before);
            System.out.printf("unary Deposit c=32 / no-op c=32:     %10.2f  (target >= 0.50)%n", dep32.rate / noop32.rate);
            System.out.printf("DepositStream target 20,000/s:       %10s%n", stream >= 20_000 ? "met" : "NOT met");
            if (recovery > 0) {
                RecoveryLoad.run(channel, CliConfig.settings(null, java.util.Map.of()), key, recovery, seconds);
            }
            if (servicePid > 0) {
                long[] rss = rss(servicePid);
                System.out.printf("service RSS (pid %d):                 %,10d MiB now, %,d MiB peak  (target <= 512 MiB)%n",
                        servicePid, rss[0] >> 10, rss[1] >> 10);
            } else {
                System.out.println("service RSS: unknown (pass --pid)");
            }
        } finally {
            channel.shutdownNow();
        }
        return 0;
    }

    /** The service's readiness reports the latency it injects; a run against a service without it would mislabel its figures. */
    private void requireTokenLatency(ManagedChannel channel, java.time.Duration want) {
        var status = EscrowServiceGrpc.newBlockingStub(channel).getServiceStatus(io.escrow.proto.v1.GetServiceStatusRequest.getDefaultInstance());
        long have = status.getChecksList().stream().filter(c -> c.getName().equals("custodian-tokens")).findFirst()
                .map(c -> c.getDataMap().get(io.escrow.app.CustodianHealthCheck.TOKEN_LATENCY)).map(Long::parseLong).orElse(0L);
        if (have != want.toNanos() / 1000) {
            throw CliException.usage("the service at " + target + " delays each in-token ECDH by " + have + " µs, not "
                    + want.toNanos() / 1000 + " µs: start it with ESCROW_EMBEDDED_TOKEN_LATENCY=" + tokenLatency + " (embedded mode only)");
        }
        System.out.printf("token latency: every in-token ECDH on the service waits %d µs first, as a network HSM's round trip%n",
                have);
    }

    List<DepositRequest> sealPool(EscrowKey key) {
        SecureRandom rng = new SecureRandom();
        List<DepositRequest> out = new ArrayList<>(POOL);
        for (int i = 0; i < POOL; i++) {
            String subject = "load-subject-" + (i % 64);
            long from = 1_700_000_000L + i;
            long until = from + 3600;
            byte[] sessionKey = new byte[32];
            rng.nextBytes(sessionKey);
            out.add(SealedDeposits.seal(key, subject, from, until, sessionKey, rng).build());
        }
        return out;
    }

    record Result(double rate, double p50Millis, double p99Millis, long errors) {
        @Override
        public String toString() {
            return String.format("%,10.0f /s   p50 %6.2f ms   p99 %6.2f ms%s", rate, p50Millis, p99Millis,
                    errors == 0 ? "" : "   errors " + errors);
        }
    }

    /** Runs {@code op} from {@code concurrency} threads for one warm-up second and then {@link #seconds}. */
    Result unary(IntConsumer op, int concurrency) throws InterruptedException {
        long warmEnd = System.nanoTime() + 1_000_000_000L;
        long end = warmEnd + seconds * 1_000_000_000L;
        List<long[]> perThread = new ArrayList<>();
        AtomicLong errors = new AtomicLong();
        CountDownLatch done = new CountDownLatch(concurrency);
        long[] counts = new long[concurrency];
        for (int t = 0; t < concurrency; t++) {
            long[] lat = new long[4_000_000 / concurrency];
            perThread.add(lat);
            int id = t;
            Thread th = new Thread(() -> {
                int i = id;
                int n = 0;
                while (System.nanoTime() < end) {
                    long start = System.nanoTime();
                    try {
                        op.accept(i++);
                    } catch (RuntimeException e) {
                        errors.incrementAndGet();
                        continue;
                    }
                    long stop = System.nanoTime();
                    if (start >= warmEnd && n < lat.length) {
                        lat[n++] = stop - start;
                    }
                }
                counts[id] = n;
                done.countDown();
            }, "load-" + t);
            th.start();
        }
        done.await();
        long total = Arrays.stream(counts).sum();
        long[] all = new long[(int) total];
        int off = 0;
        for (int t = 0; t < concurrency; t++) {
            System.arraycopy(perThread.get(t), 0, all, off, (int) counts[t]);
            off += (int) counts[t];
        }
        Arrays.sort(all);
        double p50 = all.length == 0 ? Double.NaN : all[all.length / 2] / 1e6;
        double p99 = all.length == 0 ? Double.NaN : all[(int) Math.min(all.length - 1, all.length * 0.99)] / 1e6;
        return new Result(total / (double) seconds, p50, p99, errors.get());
    }

    /** One DepositStream, kept full under gRPC flow control; receipts per second after a warm-up second. */
    double stream(ManagedChannel channel, List<DepositRequest> pool, String run) throws InterruptedException {
        AtomicLong receipts = new AtomicLong();
        CountDownLatch finished = new CountDownLatch(1);
        long warmEnd = System.nanoTime() + 1_000_000_000L;
        long end = warmEnd + seconds * 1_000_000_000L;
        long[] atWarmEnd = new long[1];
        long[] atEnd = new long[1];
        EscrowServiceGrpc.newStub(channel).depositStream(new ClientResponseObserver<DepositRequest, DepositReceipt>() {
            private long sent;

            @Override
            public void beforeStart(ClientCallStreamObserver<DepositRequest> requests) {
                requests.setOnReadyHandler(() -> {
                    while (requests.isReady() && System.nanoTime() < end) {
                        requests.onNext(pool.get((int) (sent % POOL)).toBuilder()
                                .setProviderRecordId("stream-" + run + "-" + sent++).build());
                    }
                    if (System.nanoTime() >= end) {
                        requests.onCompleted();
                    }
                });
            }

            @Override
            public void onNext(DepositReceipt value) {
                long n = receipts.incrementAndGet();
                long now = System.nanoTime();
                if (now < warmEnd) {
                    atWarmEnd[0] = n;
                } else if (now < end) {
                    atEnd[0] = n;
                }
            }

            @Override
            public void onError(Throwable t) {
                System.err.println("DepositStream failed: " + t);
                finished.countDown();
            }

            @Override
            public void onCompleted() {
                finished.countDown();
            }
        });
        finished.await(seconds + 60L, TimeUnit.SECONDS);
        return (atEnd[0] - atWarmEnd[0]) / (double) seconds;
    }

    /** Prints each party's CPU share since {@code before} (the phase just measured); returns a new snapshot. */
    private static CpuShares.Snapshot printCpu(CpuShares cpu, CpuShares.Snapshot before) {
        CpuShares.Snapshot now = cpu.take();
        if (CpuShares.available()) {
            System.out.println("    CPU: " + now.since(before, Runtime.getRuntime().availableProcessors()));
        }
        return now;
    }

    private static Path dataDir() {
        return Path.of(System.getenv().getOrDefault("ESCROW_DATA_DIR", "escrow-data"));
    }

    private static long readPid() {
        try {
            Path f = dataDir().resolve("escrow.pid");
            return Long.parseLong(Files.readString(f).strip());
        } catch (Exception e) {
            return -1;
        }
    }

    /** {VmRSS, VmHWM} in KiB from /proc. */
    static long[] rss(long pid) {
        long[] out = {-1, -1};
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    out[0] = Long.parseLong(line.replaceAll("\\D", ""));
                } else if (line.startsWith("VmHWM:")) {
                    out[1] = Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (Exception e) {
            // Process gone; report unknown.
        }
        return out;
    }
}
