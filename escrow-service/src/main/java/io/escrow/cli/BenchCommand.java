package io.escrow.cli;

import io.escrow.config.EscrowSettings;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.hsm.PinSource;
import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.hsm.SoftHsmProvisioner;
import io.escrow.hsm.TokenConfig;
import io.escrow.threshold.KeyCeremony;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.P256;
import io.escrow.threshold.Shamir;
import io.escrow.threshold.ThresholdDecryptor;
import io.escrow.threshold.ThresholdParameters;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.math.ec.ECPoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * escrowctl bench threshold: in-token ECDH rate and threshold decapsulation rate, measured in one
 * run on five SoftHSM tokens (bench-1..bench-5) created under the data directory. Reports the
 * ratio decaps/s ÷ (raw ECDH/s ÷ t): 1.0 means the host adds nothing to the t token operations.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark the threshold core on SoftHSM tokens (not a test: figures vary with the machine).",
                "Run it with its own data directory: ESCROW_DATA_DIR=$(mktemp -d) escrowctl bench"})
final class BenchCommand implements Callable<Integer> {
    private static final byte[] INFO = "escrow/v1/deposit/bench".getBytes(StandardCharsets.UTF_8);
    private static final byte[] AAD = "bench-subject\n0\n1".getBytes(StandardCharsets.UTF_8);

    @Option(names = "--seconds", defaultValue = "3", description = "duration of each measurement (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--records", defaultValue = "512", description = "distinct sealed records per key (default: ${DEFAULT-VALUE})")
    int records;

    @Option(names = "--agents", description = "Also measure 2-of-3 recovery through custodian agents on loopback, in the same run.")
    boolean agents;

    @Option(names = "--token-latency", description = "Also measure 2-of-3 decapsulation with this delay before every "
            + "in-token ECDH, as a network HSM's round trip (e.g. 2ms), next to the same tokens without it.")
    String tokenLatency;

    private static final String AGENT_SUBJECT = "bench-subject";

    @Override
    public Integer call() throws Exception {
        java.time.Duration latency = tokenLatency == null ? null : TimeArgs.tokenLatency(tokenLatency);
        EscrowSettings settings = CliConfig.settings(null, Map.of());
        SoftHsmProvisioner.requireSoftHsmConf(settings.softHsmConf());
        List<String> labels = List.of("bench-1", "bench-2", "bench-3", "bench-4", "bench-5");
        SoftHsmProvisioner.provision(settings.hsmDir(), 0, labels, false, m -> {});
        List<Pkcs11ShareToken> tokens = new ArrayList<>();
        for (String l : labels) {
            tokens.add(Pkcs11ShareToken.open(new TokenConfig(l, EscrowSettings.DEFAULT_LIBRARY, l,
                    PinSource.file(settings.hsmDir().resolve("pins").resolve(l + ".pin")))));
        }
        SecureRandom rng = new SecureRandom();
        String run = Long.toString(System.currentTimeMillis(), 36);
        KeyCeremony ceremony = new KeyCeremony(rng, Clock.systemUTC(), m -> {});
        KeyRecord k23 = ceremony.run("bench-" + run + "-2of3", new ThresholdParameters(2, 3), tokens.subList(0, 3));
        KeyRecord k35 = ceremony.run("bench-" + run + "-3of5", new ThresholdParameters(3, 5), tokens);
        System.out.printf("escrowctl bench: SoftHSM tokens in %s, %d s per measurement, %d cores%n",
                settings.hsmDir(), seconds, Runtime.getRuntime().availableProcessors());
        try {
            List<ECPoint> points = new ArrayList<>();
            for (int i = 0; i < records; i++) {
                points.add(P256.G.multiply(Shamir.randomNonZeroScalar(rng)).normalize());
            }
            double[] raw = new double[3];
            for (int threads = 1; threads <= 2; threads++) {
                raw[threads] = measure(threads, (thread, i) -> tokens.get(0).deriveX(k23.keyId(), points.get(i % points.size())));
                System.out.printf("raw in-token ECDH (%s), %d thread%s: %,10.0f /s%n", labels.get(0), threads,
                        threads == 1 ? " " : "s", raw[threads]);
            }
            ThresholdDecryptor decryptor = new ThresholdDecryptor(HpkeSuite.P256_SHA256_AES256GCM);
            List<Hpke.Sealed> agentSealed = agents ? sealFor(k23, rng, AgentBench.aadOf(AGENT_SUBJECT)) : List.of();
            for (KeyRecord key : List.of(k23, k35)) {
                List<Hpke.Sealed> sealed = seal(key, rng);
                List<Pkcs11ShareToken> own = tokens.subList(0, key.parameters().custodians());
                int t = key.threshold();
                for (int threads = 1; threads <= 2; threads++) {
                    double rate = measure(threads, (thread, i) -> {
                        Hpke.Sealed s = sealed.get(i % sealed.size());
                        decryptor.open(key, own, s.enc(), INFO, AAD, s.ciphertext());
                    });
                    double ratio = rate / (raw[threads] / t);
                    double hostMicros = threads == 1 ? 1e6 / rate - t * 1e6 / raw[1] : Double.NaN;
                    System.out.printf("threshold decaps %d-of-%d, %d thread%s: %,10.0f /s   ratio %.2f%s%n",
                            t, key.parameters().custodians(), threads, threads == 1 ? " " : "s", rate, ratio,
                            threads == 1 ? String.format("   host ≈ %.0f µs/record beyond %d token ECDHs", hostMicros, t) : "");
                }
            }
            System.out.println("ratio = decaps/s ÷ (raw ECDH/s at the same thread count ÷ t); 1.00 means no host overhead.");
            if (latency != null) {
                List<Hpke.Sealed> sealed = seal(k23, rng);
                List<io.escrow.threshold.ShareToken> delayed = io.escrow.bench.DelayedShareToken.all(tokens.subList(0, 3), latency);
                for (int threads = 1; threads <= 2; threads++) {
                    double plain = measure(threads, (thread, i) -> {
                        Hpke.Sealed s = sealed.get(i % sealed.size());
                        decryptor.open(k23, tokens.subList(0, 3), s.enc(), INFO, AAD, s.ciphertext());
                    });
                    double slow = measure(threads, (thread, i) -> {
                        Hpke.Sealed s = sealed.get(i % sealed.size());
                        decryptor.open(k23, delayed, s.enc(), INFO, AAD, s.ciphertext());
                    });
                    System.out.printf("threshold decaps 2-of-3, %d thread%s, token latency %s: %,10.0f /s   without: %,10.0f /s   "
                            + "ratio %.2f%n", threads, threads == 1 ? " " : "s", tokenLatency, slow, plain, slow / plain);
                }
            }
            if (agents) {
                // The same 2-of-3 key and tokens, each token behind its own custodian agent.
                double direct = measure(1, (thread, i) -> {
                    Hpke.Sealed s = agentSealed.get(i % agentSealed.size());
                    decryptor.open(k23, tokens.subList(0, 2), s.enc(), INFO, AgentBench.aadOf(AGENT_SUBJECT), s.ciphertext());
                });
                double viaAgents = AgentBench.measure(k23, tokens.subList(0, 2), agentSealed, INFO, AGENT_SUBJECT, seconds);
                System.out.printf("threshold decaps 2-of-3, tokens in process, 1 thread: %,10.0f /s%n", direct);
                System.out.printf("threshold decaps 2-of-3, through agents (loopback gRPC, pages of %d, log evidence checked, "
                        + "journal forced): %,10.0f /s   ratio %.2f (target >= 0.80)%n", AgentBench.PAGE, viaAgents, viaAgents / direct);
                if (latency != null) {
                    List<io.escrow.threshold.ShareToken> delayed = io.escrow.bench.DelayedShareToken.all(tokens.subList(0, 2), latency);
                    for (int sessions : new int[] {1, 8}) {
                        double slow = AgentBench.measure(k23, delayed, agentSealed, INFO, AGENT_SUBJECT, seconds, sessions);
                        System.out.printf("threshold decaps 2-of-3, through agents, token latency %s, %d session%s per agent: "
                                + "%,10.0f /s   ratio to no latency %.2f%n", tokenLatency, sessions, sessions == 1 ? "" : "s", slow,
                                slow / viaAgents);
                    }
                }
            }
        } finally {
            for (Pkcs11ShareToken token : tokens) {
                for (KeyRecord k : List.of(k23, k35)) {
                    if (k.shareOf(token.custodianId()).isPresent()) {
                        token.deleteShare(k.keyId());
                    }
                }
                token.close();
            }
        }
        return 0;
    }

    private List<Hpke.Sealed> sealFor(KeyRecord key, SecureRandom rng, byte[] aad) {
        Hpke hpke = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);
        List<Hpke.Sealed> out = new ArrayList<>();
        for (int i = 0; i < Math.max(records, 4 * AgentBench.PAGE); i++) {
            byte[] sessionKey = new byte[32];
            rng.nextBytes(sessionKey);
            out.add(hpke.seal(key.publicKeyBytes(), INFO, aad, sessionKey, rng));
        }
        return out;
    }

    private List<Hpke.Sealed> seal(KeyRecord key, SecureRandom rng) {
        Hpke hpke = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);
        List<Hpke.Sealed> out = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            byte[] sessionKey = new byte[32];
            rng.nextBytes(sessionKey);
            out.add(hpke.seal(key.publicKeyBytes(), INFO, AAD, sessionKey, rng));
        }
        return out;
    }

    interface Op {
        void run(int thread, int iteration);
    }

    /** Operations per second over {@code seconds}, after a one-second warm-up, across {@code threads} threads. */
    private double measure(int threads, Op op) throws InterruptedException {
        long warmEnd = System.nanoTime() + 1_000_000_000L;
        AtomicLong count = new AtomicLong();
        long[] window = new long[2];
        CountDownLatch done = new CountDownLatch(threads);
        long end = warmEnd + seconds * 1_000_000_000L;
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                int i = id * 7919;
                while (System.nanoTime() < warmEnd) {
                    op.run(id, i++);
                }
                while (System.nanoTime() < end) {
                    op.run(id, i++);
                    count.incrementAndGet();
                }
                done.countDown();
            }, "bench-" + t);
            th.start();
        }
        window[0] = warmEnd;
        done.await();
        window[1] = end;
        return count.get() / ((window[1] - window[0]) / 1e9);
    }
}
