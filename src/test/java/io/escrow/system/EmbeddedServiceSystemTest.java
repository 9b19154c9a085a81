package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The packaged service on its embedded defaults, driven from outside: the launcher, gRPC, HTTP
 * and escrowctl, against a fresh data directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddedServiceSystemTest {
    private static Path dataDir;
    private static ServiceProcess service;
    private static ManagedChannel channel;
    private static EscrowServiceGrpc.EscrowServiceBlockingStub escrowStub;

    /** A deadline per call: a stub's deadline is fixed when it is made, and this class runs for minutes. */
    private static EscrowServiceGrpc.EscrowServiceBlockingStub escrow() {
        return escrowStub.withDeadlineAfter(30, TimeUnit.SECONDS);
    }
    private static String firstKeyId;
    private static byte[] firstPublicKey;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("escrow-system-");
        service = ServiceProcess.start(dataDir, dataDir.resolve("service-1.log"));
        connect();
    }

    private static void connect() {
        channel = ManagedChannelBuilder.forAddress("localhost", service.grpcPort).usePlaintext().build();
        escrowStub = EscrowServiceGrpc.newBlockingStub(channel);
    }

    @AfterAll
    static void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    @Order(1)
    void firstStart_runsCeremony_andServesTheRecordedKey() throws Exception {
        EscrowKey key = escrow().getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        firstKeyId = key.getKeyId();
        firstPublicKey = key.getPublicKey().toByteArray();
        assertTrue(firstKeyId.matches("ek-\\d{4}-01"), firstKeyId);
        assertEquals(2, key.getThreshold());
        assertEquals(3, key.getCustodianCount());
        assertEquals(0x0002, key.getAeadId());
        var record = new ObjectMapper().readTree(dataDir.resolve("keys").resolve(firstKeyId + ".json").toFile());
        assertArrayEquals(HexFormat.of().parseHex(record.get("public_key").asText()), firstPublicKey);
        assertEquals(3, record.get("shares").size());
        for (var share : record.get("shares")) {
            assertFalse(share.get("public_share").asText().equals(record.get("public_key").asText()));
        }
        for (String token : new String[] {"custodian-1", "custodian-2", "custodian-3", "audit"}) {
            Path pin = dataDir.resolve("hsm/pins/" + token + ".pin");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pin)));
        }
        String log = service.logText();
        assertTrue(log.contains("DEVELOPMENT MODE"), "the embedded mode must warn loudly");
        assertTrue(log.contains("first start: created escrow key " + firstKeyId), log);
        for (String token : new String[] {"custodian-1", "custodian-2", "custodian-3"}) {
            assertFalse(log.contains(Files.readString(dataDir.resolve("hsm/pins/" + token + ".pin")).strip()),
                    "a PIN appeared in the log");
        }
    }

    private static final java.util.List<io.escrow.proto.v1.DepositRequest> DEPOSITED = new java.util.ArrayList<>();
    private static final java.util.List<io.escrow.proto.v1.DepositReceipt> RECEIPTS = new java.util.ArrayList<>();

    /** Sealed with Bouncy Castle's HPKE, independently of the service's code. */
    static io.escrow.proto.v1.DepositRequest sealed(EscrowKey key, String id) throws Exception {
        var bc = new org.bouncycastle.crypto.hpke.HPKE(org.bouncycastle.crypto.hpke.HPKE.mode_base,
                org.bouncycastle.crypto.hpke.HPKE.kem_P256_SHA256, org.bouncycastle.crypto.hpke.HPKE.kdf_HKDF_SHA256,
                org.bouncycastle.crypto.hpke.HPKE.aead_AES_GCM256);
        byte[] info = ("escrow/v1/deposit/" + key.getKeyId()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] aad = ("carol@example.org\n1700000000\n1700003600").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] sessionKey = new byte[32];
        new java.security.SecureRandom().nextBytes(sessionKey);
        byte[][] out = bc.seal(bc.deserializePublicKey(key.getPublicKey().toByteArray()), info, aad, sessionKey, null, null, null);
        byte[] enc = out[0].length == 65 ? out[0] : out[1];
        byte[] ct = out[0].length == 65 ? out[1] : out[0];
        return io.escrow.proto.v1.DepositRequest.newBuilder().setProviderRecordId(id).setSubjectId("carol@example.org")
                .setKeyId(key.getKeyId())
                .setCoversFrom(com.google.protobuf.Timestamp.newBuilder().setSeconds(1_700_000_000L))
                .setCoversUntil(com.google.protobuf.Timestamp.newBuilder().setSeconds(1_700_003_600L))
                .setEnc(com.google.protobuf.ByteString.copyFrom(enc))
                .setCiphertext(com.google.protobuf.ByteString.copyFrom(ct)).build();
    }

    @Test
    @Order(2)
    void deposits_areAcknowledged() throws Exception {
        EscrowKey key = escrow().getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        for (int i = 0; i < 20; i++) {
            var req = sealed(key, "sys-before-restart-" + i);
            DEPOSITED.add(req);
            RECEIPTS.add(escrow().deposit(req));
        }
        assertEquals(20, RECEIPTS.stream().map(r -> r.getAuditIndex()).distinct().count());
    }

    @Test
    @Order(2)
    void secondService_onTheSameDataDir_refuses_andLeavesTheFirstOneServing() throws Exception {
        ServiceProcess second = ServiceProcess.launch(dataDir, dataDir.resolve("service-second.log"), Map.of());
        try {
            assertTrue(second.awaitExit(Duration.ofSeconds(120)), "the second service should exit");
            String log = second.logText();
            assertTrue(log.contains("in use by another escrow service"), log);
            assertFalse(log.contains("stopping the orphaned embedded PostgreSQL"), log);
        } finally {
            second.close();
        }
        EscrowKey key = escrow().getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        assertFalse(escrow().deposit(sealed(key, "sys-after-second-service")).getRecordId().isEmpty(),
                "the first service still stores deposits");
    }

    /** A latency benchmark against a service that injects none is refused, so its figures are never mislabelled. */
    @Test
    @Order(2)
    void loadWithTokenLatency_againstAServiceWithout_isRefusedBeforeAnyLoad() throws Exception {
        var load = ServiceProcess.escrowctl(dataDir, "load", "--target", "localhost:" + service.grpcPort, "--token-latency", "2ms",
                "--recovery", "0", "--seconds", "1");
        assertEquals(2, load.exit(), load.output());
        assertTrue(load.output().contains("delays each in-token ECDH by 0 µs, not 2000 µs: start it with "
                + "ESCROW_EMBEDDED_TOKEN_LATENCY=2ms"), load.output());
    }

    @Test
    @Order(2)
    void unknownKeyId_isNotFound() {
        var e = assertThrows(StatusRuntimeException.class,
                () -> escrow().getEscrowKey(GetEscrowKeyRequest.newBuilder().setKeyId("ek-1990-01").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    @Order(3)
    void escrowctlCeremony_withoutKeyId_whenKeysExist_refuses() throws Exception {
        var r = ServiceProcess.escrowctl(dataDir, "ceremony");
        assertEquals(2, r.exit(), r.output());
        assertTrue(r.output().contains("pass --key-id NEW_ID to rotate"), r.output());
    }

    @Test
    @Order(4)
    void escrowctlCeremony_rotatesWhileTheServiceRuns_andOldKeyStays() throws Exception {
        var r = ServiceProcess.escrowctl(dataDir, "ceremony", "--key-id", "ek-system-rotated");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("verified in all 3 tokens"), r.output());
        EscrowKey rotated = escrow().getEscrowKey(GetEscrowKeyRequest.newBuilder().setKeyId("ek-system-rotated").build());
        assertFalse(java.util.Arrays.equals(firstPublicKey, rotated.getPublicKey().toByteArray()));
        // The current key follows within the registry's one-second rescan interval.
        String current = "";
        for (int i = 0; i < 40 && !current.equals("ek-system-rotated"); i++) {
            Thread.sleep(100);
            current = escrow().getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()).getKeyId();
        }
        assertEquals("ek-system-rotated", current);
        assertArrayEquals(firstPublicKey,
                escrow().getEscrowKey(GetEscrowKeyRequest.newBuilder().setKeyId(firstKeyId).build()).getPublicKey().toByteArray());
        var again = ServiceProcess.escrowctl(dataDir, "ceremony", "--key-id", "ek-system-rotated");
        assertEquals(1, again.exit(), again.output());
        assertTrue(again.output().contains("already"), again.output());
    }

    @Test
    @Order(3)
    void demo_walksFromDepositToOpenedKeys_thenRecoverOpenRepeatsIt() throws Exception {
        assertTrue(service.logText().contains("Created demo signer 'court'"), "the development default makes demo authorities");
        var demo = ServiceProcess.escrowctl(dataDir, "demo", "--target", "localhost:" + service.grpcPort);
        assertEquals(0, demo.exit(), demo.output());
        for (String step : new String[] {"deposits three session keys", "files a warrant for", "(escrowctl warrant file)",
                "The court reads those exact bytes, signs them and approves", "The ministry reads those exact bytes",
                "is now ACTIVE (approvals: court, ministry)", "consent to this warrant only (escrowctl custodian activate)", "2 of 2 released keys opened with the recipient key and match what was deposited"}) {
            assertTrue(demo.output().contains(step), step + " missing from:\n" + demo.output());
        }
        var m = java.util.regex.Pattern.compile("recover open --warrant (\\S+) --recipient-key (\\S+)").matcher(demo.output());
        assertTrue(m.find(), demo.output());
        var again = ServiceProcess.escrowctl(dataDir, "recover", "open", "--warrant", m.group(1), "--recipient-key", m.group(2),
                "--target", "localhost:" + service.grpcPort);
        assertEquals(0, again.exit(), again.output());
        assertTrue(again.output().contains("opened 2 key(s)"), again.output());
        var wrongKey = ServiceProcess.escrowctl(dataDir, "recover", "keygen", "--out", dataDir.resolve("other.key").toString());
        assertEquals(0, wrongKey.exit(), wrongKey.output());
        var other = ServiceProcess.escrowctl(dataDir, "recover", "open", "--warrant", m.group(1), "--recipient-key",
                dataDir.resolve("other.key").toString(), "--target", "localhost:" + service.grpcPort);
        assertEquals(1, other.exit(), other.output());
        assertTrue(other.output().contains("2 FAILED to open"), other.output());

        // The documented metrics exist once the story has run (tagged rejection counters appear on first use).
        String metrics = new String(java.net.URI.create("http://localhost:" + service.httpPort + "/q/metrics").toURL()
                .openStream().readAllBytes());
        for (String name : new String[] {"escrow_deposits_accepted_total", "escrow_deposit_latency_seconds",
                "escrow_deposit_batch_size", "escrow_warrants_filed_total", "escrow_warrant_approvals_total",
                "escrow_warrants_revoked_total", "escrow_recovery_records_total", "escrow_custodian_agent_latency_seconds",
                "escrow_custodian_agent_errors_total", "escrow_audit_log_size", "escrow_audit_checkpoint_age_seconds",
                "escrow_audit_stream_subscribers"}) {
            assertTrue(metrics.contains(name), name + " missing from /q/metrics");
        }
    }

    @Test
    @Order(5)
    void escrowctlHelp_listsCommands_andBadThresholdFailsClearly() throws Exception {
        var help = ServiceProcess.escrowctl(dataDir, "--help");
        assertEquals(0, help.exit(), help.output());
        for (String cmd : new String[] {"serve", "ceremony", "bench"}) {
            assertTrue(help.output().contains(cmd), help.output());
        }
        var bad = ServiceProcess.escrowctl(dataDir, "ceremony", "--key-id", "ek-x", "--threshold", "5");
        assertEquals(2, bad.exit(), "a usage error: " + bad.output());
        assertTrue(bad.output().contains("t=5 is greater than the custodian count n=3"), bad.output());
        assertFalse(bad.output().contains("at io.escrow"), "no stack trace: " + bad.output());
    }

    @Test
    @Order(6)
    void killDashNine_ofServiceAndDatabase_losesNoAcknowledgedDeposit() throws Exception {
        EscrowKey key = escrow().getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        // Many concurrent deposits in flight; kill everything while they are being committed.
        var pool = java.util.concurrent.Executors.newFixedThreadPool(16);
        var acknowledged = new java.util.concurrent.ConcurrentHashMap<io.escrow.proto.v1.DepositRequest, io.escrow.proto.v1.DepositReceipt>();
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        var counter = new java.util.concurrent.atomic.AtomicInteger();
        for (int t = 0; t < 16; t++) {
            pool.submit(() -> {
                while (!stop.get()) {
                    try {
                        var req = sealed(key, "sys-crash-" + counter.incrementAndGet());
                        acknowledged.put(req, escrow().deposit(req));
                    } catch (Exception e) {
                        return;
                    }
                }
            });
        }
        while (acknowledged.size() < 300) {
            Thread.sleep(20);
        }
        service.killHard();
        stop.set(true);
        pool.shutdown();
        pool.awaitTermination(30, TimeUnit.SECONDS);
        channel.shutdownNow();
        service = ServiceProcess.start(dataDir, dataDir.resolve("service-after-kill.log"));
        connect();
        assertTrue(service.logText().contains("removing the stale postmaster.pid"), service.logText());
        for (var e : acknowledged.entrySet()) {
            assertEquals(e.getValue(), escrow().deposit(e.getKey()), "an acknowledged deposit was lost or changed");
        }
        for (int i = 0; i < DEPOSITED.size(); i++) {
            assertEquals(RECEIPTS.get(i), escrow().deposit(DEPOSITED.get(i)));
        }
        // A deposit's row is its leaf (V12) and every other leaf an audit_log row, each committed
        // with the head, so a crash cannot separate them: no index is held twice or by nobody.
        try (var c = java.sql.DriverManager.getConnection(service.embeddedJdbcUrl());
             var rs = c.createStatement().executeQuery("with leaves as (select idx as i from audit_log "
                     + "union all select audit_index from deposits) select "
                     + "(select count(*) from deposits d join audit_log a on a.idx = d.audit_index), "
                     + "(select count(*) from audit_log a where a.type = 'deposit'), "
                     + "(select count(*) from leaves), (select coalesce(max(i) + 1, 0) from leaves), "
                     + "(select next_index from audit_head)")) {
            rs.next();
            assertEquals(0, rs.getLong(1), "indexes held by a deposit and an audit_log row");
            assertEquals(0, rs.getLong(2), "deposit leaves stored a second time");
            assertEquals(rs.getLong(3), rs.getLong(4), "gap-free");
            assertEquals(rs.getLong(3), rs.getLong(5), "the head matches the log");
        }
        var verified = ServiceProcess.escrowctl(dataDir, "audit", "verify", "--target", "localhost:" + service.grpcPort,
                "--state", dataDir.resolve("after-crash.state").toString());
        assertEquals(0, verified.exit(), verified.output());
    }

    @Test
    @Order(7)
    void killDashNine_ofServiceOnly_restartsDespiteTheOrphanedDatabase() throws Exception {
        service.killJvmOnly();
        channel.shutdownNow();
        service = ServiceProcess.start(dataDir, dataDir.resolve("service-after-jvm-kill.log"));
        connect();
        assertTrue(service.logText().contains("stopping the orphaned embedded PostgreSQL"), service.logText());
        assertEquals(RECEIPTS.get(0), escrow().deposit(DEPOSITED.get(0)));
    }

    @Test
    @Order(8)
    void restart_keepsKeys_andRunsNoSecondCeremony() throws Exception {
        stop();
        service = ServiceProcess.start(dataDir, dataDir.resolve("service-2.log"));
        connect();
        assertArrayEquals(firstPublicKey,
                escrow().getEscrowKey(GetEscrowKeyRequest.newBuilder().setKeyId(firstKeyId).build()).getPublicKey().toByteArray());
        assertEquals("ek-system-rotated", escrow().getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()).getKeyId());
        for (int i = 0; i < DEPOSITED.size(); i++) {
            assertEquals(RECEIPTS.get(i), escrow().deposit(DEPOSITED.get(i)), "deposit " + i + " survives a restart");
        }
        String log = service.logText();
        assertFalse(log.contains("first start"), log);
        assertTrue(log.contains("(0 new)"), "provisioning must change nothing on restart: " + log);
    }
}
