package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The audit token goes away under DepositStream load, as a network HSM does, and comes back with
 * all its old sessions gone. The service reaches it through src/test/faults/faulty-pkcs11.c (compiled
 * here), a PKCS#11 module that forwards to SoftHSM and fails while a flag file exists. Deposits
 * go on without a single error, the checkpoint age passes the runbook's alert threshold while
 * the log grows past the newest signed head, and once the token is back, the service opens it
 * again, checks it still holds the same keys, and signs a head covering the whole log, which
 * {@code escrowctl audit verify} accepts.
 */
class AuditTokenOutageSystemTest {
    private static final Path SHIM_SOURCE = ServiceProcess.REPO.resolve("src/test/faults/faulty-pkcs11.c");
    private static final Path SOFTHSM = Path.of("/usr/lib/softhsm/libsofthsm2.so");

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void auditTokenAway_depositsContinue_checkpointAgeAlerts_andPublishingResumesWhenItReturns() throws Exception {
        Path root = Files.createTempDirectory("escrow-audit-token-");
        Path shim = root.resolve("faulty-pkcs11.so");
        Process cc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-O2", "-o", shim.toString(), SHIM_SOURCE.toString(), "-ldl")
                .redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes());
        assertTrue(cc.waitFor(60, TimeUnit.SECONDS) && cc.exitValue() == 0, "gcc: " + ccOut);
        Path down = root.resolve("audit-token-down");
        ServiceProcess service = ServiceProcess.start(root.resolve("data"), root.resolve("service.log"), Map.of(
                "ESCROW_HSM_TOKEN_AUDIT_LIBRARY", shim.toString(), "FAULTY_PKCS11_TARGET", SOFTHSM.toString(),
                "FAULTY_PKCS11_FLAG", down.toString()));
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", service.grpcPort).usePlaintext().build();
        try (DepositStreamLoad load = new DepositStreamLoad(channel,
                EscrowServiceGrpc.newBlockingStub(channel).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()), "token", 2)) {
            load.awaitAcknowledged(500, 120);
            awaitMetrics(service, m -> m.get("checkpoint_size") >= m.get("log_size") - 1e-9 && m.get("log_size") > 0, 30);

            Files.createFile(down);
            int before = load.acknowledgedCount();
            Map<String, Double> away = awaitMetrics(service, m -> m.get("checkpoint_age_seconds") > 5
                    && m.get("log_size") > m.get("checkpoint_size"), 60);
            load.awaitAcknowledged(before + 2_000, 60);
            assertTrue(load.endings().isEmpty(), "deposits failed while the audit token was away: " + load.endings());
            System.out.printf("audit token away: %d deposits acknowledged meanwhile; checkpoint age %.1f s, log %d leaves, "
                    + "newest head %d%n", load.acknowledgedCount() - before, away.get("checkpoint_age_seconds"),
                    away.get("log_size").longValue(), away.get("checkpoint_size").longValue());

            Files.delete(down);
            long back = System.nanoTime();
            awaitMetrics(service, m -> m.get("checkpoint_size") >= away.get("log_size"), 30);
            System.out.printf("audit token back: a head covering the log signed %d ms later%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back));
            assertTrue(service.logText().contains("tree heads are published again"), "the recovery is logged");
        } finally {
            channel.shutdownNow();
        }
        try {
            var verified = ServiceProcess.escrowctl(service.dataDir, "audit", "verify", "--target", "localhost:" + service.grpcPort,
                    "--state", root.resolve("verify.state").toString());
            assertEquals(0, verified.exit(), verified.output());
        } finally {
            service.close();
        }
    }

    private static final Pattern METRIC = Pattern.compile("^escrow_audit_(log_size|checkpoint_size|checkpoint_age_seconds) (\\S+)$",
            Pattern.MULTILINE);

    /** Polls /q/metrics until {@code until} holds for the audit gauges; returns them. */
    private static Map<String, Double> awaitMetrics(ServiceProcess service, java.util.function.Predicate<Map<String, Double>> until,
                                                    int seconds) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Map<String, Double> m = new HashMap<>();
        while (System.nanoTime() < deadline) {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + service.httpPort + "/q/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            m.clear();
            Matcher x = METRIC.matcher(body);
            while (x.find()) {
                m.put(x.group(1), Double.parseDouble(x.group(2)));
            }
            if (m.size() == 3 && until.test(m)) {
                return Map.copyOf(m);
            }
            Thread.sleep(250);
        }
        throw new AssertionError("audit metrics never reached the expected state: " + m);
    }
}
