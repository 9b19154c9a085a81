package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two packaged service instances, started at the same moment on one data directory (shared
 * tokens and key records), writing to one external PostgreSQL: one key ceremony, no lost or
 * duplicated deposit, one gap-free audit index sequence, and idempotency across instances.
 */
class TwoInstancesSystemTest {
    private static EmbeddedPostgres postgres;
    private static ServiceProcess a;
    private static ServiceProcess b;
    private static final List<ManagedChannel> CHANNELS = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Path root = Files.createTempDirectory("escrow-two-");
        postgres = EmbeddedPostgres.builder().setDataDirectory(root.resolve("shared-postgres")).setCleanDataDirectory(true)
                .setServerConfig("synchronous_commit", "on").setServerConfig("fsync", "on").start();
        // One data directory for both: its in-process custodian agents would be two agents per token,
        // so this test runs the in-service token path (CustodianAgentsSystemTest runs real agents).
        Map<String, String> env = Map.of("ESCROW_DB_URL", "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres",
                "ESCROW_DB_USERNAME", "postgres", "ESCROW_EMBEDDED_AGENTS", "false");
        Path dataDir = root.resolve("shared-data");
        a = ServiceProcess.launch(dataDir, root.resolve("a.log"), env);
        b = ServiceProcess.launch(dataDir, root.resolve("b.log"), env);
        a.awaitReady(Duration.ofSeconds(120));
        b.awaitReady(Duration.ofSeconds(120));
    }

    @AfterAll
    static void stop() throws Exception {
        CHANNELS.forEach(ManagedChannel::shutdownNow);
        for (ServiceProcess s : new ServiceProcess[] {a, b}) {
            if (s != null) {
                s.close();
            }
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    private static EscrowServiceGrpc.EscrowServiceBlockingStub stub(ServiceProcess s) {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", s.grpcPort).usePlaintext().build();
        CHANNELS.add(ch);
        return EscrowServiceGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @Test
    void concurrentDepositsThroughBothInstances_formOneGapFreeLog() throws Exception {
        var sa = stub(a);
        var sb = stub(b);
        EscrowKey keyA = sa.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        EscrowKey keyB = sb.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        assertEquals(keyA, keyB, "one ceremony, shared by both instances");
        String logs = a.logText() + b.logText();
        assertEquals(1, logs.split("first start: created escrow key", -1).length - 1, "exactly one ceremony ran");

        ExecutorService pool = Executors.newFixedThreadPool(16);
        Map<DepositRequest, DepositReceipt> receipts = new ConcurrentHashMap<>();
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            var stub = t % 2 == 0 ? sa : sb;
            int thread = t;
            work.add(pool.submit(() -> {
                for (int i = 0; i < 40; i++) {
                    DepositRequest req = EmbeddedServiceSystemTest.sealed(keyA, "two-" + thread + "-" + i);
                    receipts.put(req, stub.deposit(req));
                }
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(640, receipts.size());
        assertEquals(640, receipts.values().stream().map(DepositReceipt::getAuditIndex).distinct().count());

        // Idempotency holds across instances: a replay through the other instance gets the same receipt.
        for (var e : receipts.entrySet().stream().limit(50).toList()) {
            assertEquals(e.getValue(), sa.deposit(e.getKey()));
            assertEquals(e.getValue(), sb.deposit(e.getKey()));
        }
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres?user=postgres");
             ResultSet rs = c.createStatement().executeQuery("select count(*), min(i), max(i), "
                     + "(select next_index from audit_head), (select count(*) from deposits), "
                     + "(select count(distinct audit_index) from deposits) "
                     // A deposit's row is its leaf (V12); every other leaf is an audit_log row.
                     + "from (select idx as i from audit_log union all select audit_index from deposits) x")) {
            rs.next();
            assertEquals(640, rs.getLong(1));
            assertEquals(0, rs.getLong(2));
            assertEquals(639, rs.getLong(3), "audit indexes are gap-free across both instances");
            assertEquals(640, rs.getLong(4));
            assertEquals(640, rs.getLong(5));
            assertEquals(640, rs.getLong(6));
        }
        assertTrue(a.logText().contains("database ready: jdbc:postgresql://localhost:" + postgres.getPort()));

        // Both instances publish tree heads over the same log; an overseer sees one consistent tree through either.
        var viaA = ServiceProcess.escrowctl(a.dataDir, "audit", "verify", "--target", "localhost:" + a.grpcPort,
                "--state", a.dataDir.resolve("audit-a.state").toString());
        assertEquals(0, viaA.exit(), viaA.output());
        var viaB = ServiceProcess.escrowctl(a.dataDir, "audit", "verify", "--target", "localhost:" + b.grpcPort,
                "--state", a.dataDir.resolve("audit-a.state").toString());
        assertEquals(0, viaB.exit(), viaB.output());
        assertTrue(viaB.output().contains("OK: 640 leaves"), viaB.output());
    }
}
