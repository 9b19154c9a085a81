package io.escrow.cli;

import io.escrow.config.EscrowSettings;
import io.escrow.hpke.Hpke;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.grpc.ManagedChannel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code escrowctl load --soak DURATION}: deposits at a steady rate (unary, 4 callers), a
 * recovery of 100 fresh records every minute, and the independent verifier
 * ({@code escrowctl audit follow}, as its own process) following the log throughout. Each
 * minute it prints the service's RSS, the deposits' p99 latency, errors, the last recovery and
 * the checkpoint age; at the end, the drift from the first minute to the last.
 */
final class SoakLoad {
    private static final int RECOVERY_RECORDS = 100;
    private static final Pattern AGE = Pattern.compile("^escrow_audit_checkpoint_age_seconds (\\S+)$", Pattern.MULTILINE);

    private final ManagedChannel channel;
    private final EscrowSettings settings;
    private final EscrowKey key;
    private final List<DepositRequest> pool;
    private final String run = Long.toString(System.currentTimeMillis(), 36);
    private final AtomicLong seq = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    /** Latencies (ns) of the current minute; swapped out each minute. Guarded by this. */
    private long[] latencies = new long[1 << 16];
    private int count;
    private volatile String lastRecovery = "none yet";
    private volatile boolean stopping;

    /** One minute's line, kept for the drift summary. */
    private record Minute(int n, long rssKiB, int deposits, double p99Ms, double ageSeconds) {}

    SoakLoad(ManagedChannel channel, EscrowSettings settings, EscrowKey key, List<DepositRequest> pool) {
        this.channel = channel;
        this.settings = settings;
        this.key = key;
        this.pool = pool;
    }

    void run(Duration duration, int rate, long servicePid, String metricsUrl, String target) throws Exception {
        Path work = Files.createTempDirectory("escrowctl-soak-");
        Path followLog = work.resolve("audit-follow.log");
        Process follower = new ProcessBuilder(javaCommand("audit", "follow", "--target", target, "--interval", "PT5S",
                "--state", work.resolve("follow.state").toString())).redirectErrorStream(true).redirectOutput(followLog.toFile()).start();
        System.out.printf("soak: %s, %,d deposits/s, a %d-record recovery each minute, audit follow logging to %s%n",
                duration, rate, RECOVERY_RECORDS, followLog);
        long intervalNanos = 1_000_000_000L / rate;
        AtomicLong nextSlot = new AtomicLong(System.nanoTime());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            threads.add(start("soak-deposits-" + i, () -> depositLoop(nextSlot, intervalNanos)));
        }
        threads.add(start("soak-recovery", this::recoveryLoop));
        List<Minute> minutes = new ArrayList<>();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long end = System.nanoTime() + duration.toNanos();
        try {
            for (int n = 1; System.nanoTime() < end; n++) {
                Thread.sleep(Math.min(60_000, Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
                long[] window = takeWindow();
                Minute m = new Minute(n, servicePid > 0 ? LoadCommand.rss(servicePid)[0] : -1, window.length, p99Ms(window),
                        checkpointAge(http, metricsUrl));
                minutes.add(m);
                System.out.printf("minute %3d: RSS %,6d MiB, %,7d deposits, p99 %7.2f ms, errors %,d, checkpoint age %5.1f s, "
                                + "follower %s; last recovery: %s%n", m.n(), m.rssKiB() >> 10, m.deposits(), m.p99Ms(), errors.get(),
                        m.ageSeconds(), follower.isAlive() ? "running" : "EXITED " + follower.exitValue(), lastRecovery);
            }
        } finally {
            stopping = true;
            for (Thread t : threads) {
                t.join(TimeUnit.MINUTES.toMillis(2));
            }
            follower.destroy();
            follower.waitFor(30, TimeUnit.SECONDS);
        }
        summarize(minutes, followLog);
    }

    private static Thread start(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void depositLoop(AtomicLong nextSlot, long intervalNanos) {
        var stub = EscrowServiceGrpc.newBlockingStub(channel);
        while (!stopping) {
            long slot = nextSlot.getAndAdd(intervalNanos);
            long wait = slot - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
            long start = System.nanoTime();
            try {
                stub.withDeadlineAfter(30, TimeUnit.SECONDS).deposit(pool.get((int) (seq.get() % pool.size())).toBuilder()
                        .setProviderRecordId("soak-" + run + "-" + seq.incrementAndGet()).build());
                record(System.nanoTime() - start);
            } catch (RuntimeException e) {
                errors.incrementAndGet();
            }
        }
    }

    private void recoveryLoop() {
        for (int i = 0; !stopping; i++) {
            long started = System.nanoTime();
            try {
                String subject = "soak-" + run + "-subject-" + i;
                RecoveryLoad.deposit(channel, key, subject, RECOVERY_RECORDS);
                var w = RecoveryLoad.approvedWarrant(channel, settings, subject, RECOVERY_RECORDS,
                        Hpke.generateKeyPair(new SecureRandom()));
                int got = RecoveryLoad.recoverAll(channel, w);
                lastRecovery = String.format("%d of %d records in %d ms", got, RECOVERY_RECORDS,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                if (got != RECOVERY_RECORDS) {
                    errors.incrementAndGet();
                }
            } catch (Exception e) {
                errors.incrementAndGet();
                lastRecovery = "FAILED: " + e.getMessage();
            }
            long sleep = TimeUnit.SECONDS.toNanos(60) - (System.nanoTime() - started);
            while (sleep > 0 && !stopping) {
                try {
                    Thread.sleep(Math.min(1000, TimeUnit.NANOSECONDS.toMillis(sleep) + 1));
                } catch (InterruptedException e) {
                    return;
                }
                sleep = TimeUnit.SECONDS.toNanos(60) - (System.nanoTime() - started);
            }
        }
    }

    private synchronized void record(long nanos) {
        if (count == latencies.length) {
            latencies = Arrays.copyOf(latencies, count * 2);
        }
        latencies[count++] = nanos;
    }

    private synchronized long[] takeWindow() {
        long[] out = Arrays.copyOf(latencies, count);
        count = 0;
        return out;
    }

    private static double p99Ms(long[] window) {
        if (window.length == 0) {
            return Double.NaN;
        }
        Arrays.sort(window);
        return window[(int) Math.min(window.length - 1, Math.ceil(window.length * 0.99) - 1)] / 1e6;
    }

    private static double checkpointAge(HttpClient http, String metricsUrl) {
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create(metricsUrl)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = AGE.matcher(body);
            return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
        } catch (Exception e) {
            return Double.NaN;
        }
    }

    private void summarize(List<Minute> minutes, Path followLog) throws Exception {
        if (minutes.isEmpty()) {
            return;
        }
        Minute first = minutes.get(0);
        Minute last = minutes.get(minutes.size() - 1);
        double maxAge = minutes.stream().mapToDouble(Minute::ageSeconds).max().orElse(Double.NaN);
        List<String> followed = Files.readAllLines(followLog);
        long verified = followed.stream().filter(l -> l.contains("verified")).count();
        long alerts = followed.stream().filter(l -> l.startsWith("ALERT")).count();
        System.out.printf("drift, minute 1 -> minute %d: RSS %,d -> %,d MiB, deposit p99 %.2f -> %.2f ms, checkpoint age max %.1f s; "
                        + "errors %,d; audit follow: %,d heads verified, %d alerts%n", last.n(), first.rssKiB() >> 10,
                last.rssKiB() >> 10, first.p99Ms(), last.p99Ms(), maxAge, errors.get(), verified, alerts);
    }

    /** This JVM's launcher again (escrowctl runs as java -jar), for a tool that must run as its own process. */
    private static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-jar", System.getProperty("java.class.path")));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
