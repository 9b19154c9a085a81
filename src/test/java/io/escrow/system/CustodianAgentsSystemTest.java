package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.escrow.consent.ConsentStatement;
import io.escrow.proto.v1.ActivateShareRequest;
import io.escrow.proto.v1.Activation;
import io.escrow.proto.v1.ApproveWarrantRequest;
import io.escrow.proto.v1.CustodianServiceGrpc;
import io.escrow.proto.v1.DeactivateShareRequest;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.GetWarrantRequest;
import io.escrow.proto.v1.ListActivationsRequest;
import io.escrow.proto.v1.RecoverRequest;
import io.escrow.proto.v1.RecoveredKey;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.proto.v1.WarrantSpec;
import io.escrow.warrant.DemoAuthorities;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two packaged replicas on one PostgreSQL, and three custodian agents, each a separate
 * {@code escrowctl custodian serve} process beside its own token. Consent given through either
 * replica holds on both, because only the agents hold it; an agent killed with -9 in the middle of
 * a recovery ends it UNAVAILABLE, and after a restart its counts are intact and the recovery
 * resumes.
 */
class CustodianAgentsSystemTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HPKE BC = new HPKE(HPKE.mode_base, HPKE.kem_P256_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);
    private static EmbeddedPostgres postgres;
    private static ServiceProcess a;
    private static ServiceProcess b;
    private static Path root;
    private static Path dataDir;
    private static final Map<String, Integer> AGENT_PORTS = new HashMap<>();
    private static final Map<String, Process> AGENTS = new HashMap<>();
    private static final List<ManagedChannel> CHANNELS = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        root = Files.createTempDirectory("escrow-agents-");
        dataDir = root.resolve("shared-data");
        postgres = EmbeddedPostgres.builder().setDataDirectory(root.resolve("shared-postgres")).setCleanDataDirectory(true)
                .setServerConfig("synchronous_commit", "on").start();
        Map<String, String> env = new HashMap<>(Map.of("ESCROW_DB_URL", "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres",
                "ESCROW_DB_USERNAME", "postgres"));
        for (int i = 1; i <= 3; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                AGENT_PORTS.put("custodian-" + i, s.getLocalPort());
            }
            env.put("ESCROW_CUSTODIANS_CUSTODIAN_" + i + "_AGENT", "127.0.0.1:" + AGENT_PORTS.get("custodian-" + i));
        }
        // The demo PKI first (the service reuses it): the authorities' CAs, and each custodian's own CA.
        DemoAuthorities.ensure(dataDir, List.of("court", "ministry", "custodian-1", "custodian-2", "custodian-3"), m -> {});
        Path authorities = Files.createDirectories(root.resolve("authorities"));
        for (String name : List.of("court", "ministry")) {
            Files.copy(DemoAuthorities.dir(dataDir).resolve(name).resolve("ca.pem"), authorities.resolve(name + ".pem"));
        }
        // A provisions the tokens and runs the ceremony; the agents start on those tokens; A is
        // ready once t agents answer; then B on the same tokens and database.
        a = ServiceProcess.launch(dataDir, root.resolve("a.log"), env);
        Instant deadline = Instant.now().plusSeconds(120);
        while (!Files.exists(root.resolve("a.log")) || !a.logText().contains("current escrow key")) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no ceremony:\n" + a.logText());
            }
            Thread.sleep(200);
        }
        // Each custodian pins the audit log's tree-head key, as published by GetTreeHead.
        ManagedChannel first = ManagedChannelBuilder.forAddress("localhost", a.grpcPort).usePlaintext().build();
        CHANNELS.add(first);
        byte[] logKey = null;
        while (logKey == null) {
            try {
                logKey = io.escrow.proto.v1.AuditServiceGrpc.newBlockingStub(first).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .getTreeHead(io.escrow.proto.v1.GetTreeHeadRequest.getDefaultInstance()).getPublicKey().toByteArray();
            } catch (StatusRuntimeException notYet) {
                if (Instant.now().isAfter(deadline)) {
                    throw new AssertionError("no tree head: " + notYet.getStatus());
                }
                Thread.sleep(200);
            }
        }
        Files.write(root.resolve("log-key.der"), logKey);
        for (int i = 1; i <= 3; i++) {
            startAgent("custodian-" + i);
        }
        a.awaitReady(Duration.ofSeconds(120));
        b = ServiceProcess.start(dataDir, root.resolve("b.log"), env);
    }

    private static void startAgent(String id) throws Exception {
        Path log = root.resolve(id + ".log");
        Files.deleteIfExists(log);
        ProcessBuilder pb = new ProcessBuilder(ServiceProcess.LAUNCHER.toString(), "custodian", "serve", "--custodian", id,
                "--listen", "127.0.0.1:" + AGENT_PORTS.get(id),
                "--pin-file", dataDir.resolve("hsm/pins/" + id + ".pin").toString(),
                "--authorities", root.resolve("authorities").toString(),
                "--custodian-ca", DemoAuthorities.dir(dataDir).resolve(id).resolve("ca.pem").toString(),
                "--log-key", root.resolve("log-key.der").toString(),
                "--attest-cert", DemoAuthorities.signerCertificate(dataDir, id).toString(),
                "--attest-key", DemoAuthorities.signerKey(dataDir, id).toString(),
                "--state", root.resolve("agent-" + id).toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("ESCROW_DATA_DIR", dataDir.toString());
        pb.environment().remove("SOFTHSM2_CONF");
        Process p = pb.start();
        AGENTS.put(id, p);
        Instant deadline = Instant.now().plusSeconds(60);
        while (!Files.readString(log).contains("serving on port")) {
            if (!p.isAlive() || Instant.now().isAfter(deadline)) {
                throw new AssertionError("agent " + id + " did not start:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        CHANNELS.forEach(ManagedChannel::shutdownNow);
        AGENTS.values().forEach(p -> p.destroyForcibly());
        for (ServiceProcess s : new ServiceProcess[] {a, b}) {
            if (s != null) {
                s.close();
            }
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    private static ManagedChannel channel(ServiceProcess s) {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", s.grpcPort).usePlaintext().build();
        CHANNELS.add(ch);
        return ch;
    }

    /** A deposit sealed by the client library (escrow-client), which the service's recovery must open. */
    static DepositRequest sealed(EscrowKey key, String subject) throws Exception {
        byte[] sessionKey = new byte[32];
        RANDOM.nextBytes(sessionKey);
        var sealed = io.escrow.client.DepositSealer.seal(key.getKeyId(), key.getPublicKey().toByteArray(), subject, 1_700_000_000L,
                1_700_003_600L, sessionKey);
        byte[] enc = sealed.enc();
        byte[] ct = sealed.ciphertext();
        return DepositRequest.newBuilder().setProviderRecordId(UUID.randomUUID().toString()).setSubjectId(subject)
                .setKeyId(key.getKeyId()).setCoversFrom(Timestamp.newBuilder().setSeconds(1_700_000_000L))
                .setCoversUntil(Timestamp.newBuilder().setSeconds(1_700_003_600L)).setEnc(ByteString.copyFrom(enc))
                .setCiphertext(ByteString.copyFrom(ct)).build();
    }

    private static Warrant fileAndApprove(ManagedChannel filer, ManagedChannel court, ManagedChannel ministry, String subject,
                                          byte[] recipient) throws Exception {
        long now = Instant.now().getEpochSecond();
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        Warrant w = WarrantServiceGrpc.newBlockingStub(filer).fileWarrant(FileWarrantRequest.newBuilder().setSpec(WarrantSpec.newBuilder()
                .setCaseReference("CASE-" + subject).setRequestingAgency("Agency").addSubjectIds(subject)
                .setCoversFrom(Timestamp.newBuilder().setSeconds(1_699_999_000L)).setCoversUntil(Timestamp.newBuilder().setSeconds(1_700_009_000L))
                .setNotBefore(Timestamp.newBuilder().setSeconds(now - 60)).setNotAfter(Timestamp.newBuilder().setSeconds(now + 3600))
                .setMaxRecords(10_000).setRecipientPublicKey(ByteString.copyFrom(recipient)).setNonce(ByteString.copyFrom(nonce))).build());
        for (var e : Map.of("court", court, "ministry", ministry).entrySet()) {
            w = WarrantServiceGrpc.newBlockingStub(e.getValue()).approveWarrant(ApproveWarrantRequest.newBuilder()
                    .setWarrantId(w.getWarrantId()).setCmsSignature(ByteString.copyFrom(
                            DemoAuthorities.sign(dataDir, e.getKey(), w.getSignedBytes().toByteArray()))).build());
        }
        assertEquals(Warrant.WarrantState.ACTIVE, w.getState());
        return w;
    }

    /** The custodian, on its own machine: reads the warrant and its approvals, and signs a consent to exactly those. */
    private static Activation consent(ManagedChannel via, String warrantId, String custodian, int uses) throws Exception {
        Warrant w = WarrantServiceGrpc.newBlockingStub(via).getWarrant(GetWarrantRequest.newBuilder().setWarrantId(warrantId).build());
        SortedMap<String, byte[]> approvals = new TreeMap<>();
        w.getApprovalsList().forEach(x -> approvals.put(x.getAuthority(), x.getCmsSignature().toByteArray()));
        byte[] statement = ConsentStatement.of(custodian, warrantId, w.getSignedBytes().toByteArray(), approvals, uses,
                Instant.now().plusSeconds(1800)).encode();
        return CustodianServiceGrpc.newBlockingStub(via).activateShare(ActivateShareRequest.newBuilder().setCustodianId(custodian)
                .setWarrantId(warrantId).setConsentStatement(ByteString.copyFrom(statement))
                .setCmsSignature(ByteString.copyFrom(DemoAuthorities.sign(dataDir, custodian, statement))).build());
    }

    private static Map<String, Activation> activations(ManagedChannel via, String warrantId) {
        Map<String, Activation> out = new TreeMap<>();
        CustodianServiceGrpc.newBlockingStub(via).listActivations(ListActivationsRequest.newBuilder().setWarrantId(warrantId).build())
                .getActivationsList().forEach(x -> out.put(x.getCustodianId(), x));
        return out;
    }

    private static List<RecoveredKey> recover(ManagedChannel via, String warrantId) {
        List<RecoveredKey> out = new ArrayList<>();
        RecoveryServiceGrpc.newBlockingStub(via).withDeadlineAfter(120, TimeUnit.SECONDS)
                .recover(RecoverRequest.newBuilder().setWarrantId(warrantId).build()).forEachRemaining(out::add);
        return out;
    }

    private static void opensAll(AsymmetricCipherKeyPair recipient, String warrantId, List<RecoveredKey> keys) throws Exception {
        for (RecoveredKey k : keys) {
            byte[] key = BC.open(k.getEnc().toByteArray(), recipient, ("escrow/v1/recovery/" + warrantId).getBytes(StandardCharsets.UTF_8),
                    k.getRecordId().getBytes(StandardCharsets.UTF_8), k.getSealedKey().toByteArray(), null, null, null);
            assertEquals(32, key.length);
        }
    }

    @Test
    void wholeStory_splitAcrossTwoReplicas_holdsOnBoth() throws Exception {
        ManagedChannel viaA = channel(a);
        ManagedChannel viaB = channel(b);
        String subject = "split-" + UUID.randomUUID() + "@example.org";
        EscrowKey key = EscrowServiceGrpc.newBlockingStub(viaA).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        assertEquals(3, key.getAttestationsCount(), "every agent process attested the key: " + key);
        assertEquals(key, EscrowServiceGrpc.newBlockingStub(viaB).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()),
                "both replicas serve the same attested key");
        for (int i = 0; i < 3; i++) {
            EscrowServiceGrpc.newBlockingStub(viaA).deposit(sealed(key, subject));
        }
        AsymmetricCipherKeyPair recipient = BC.generatePrivateKey();
        Warrant w = fileAndApprove(viaB, viaA, viaB, subject, BC.serializePublicKey(recipient.getPublic()));
        String id = w.getWarrantId();

        StatusRuntimeException pin = assertThrows(StatusRuntimeException.class, () -> CustodianServiceGrpc.newBlockingStub(viaA)
                .activateShare(ActivateShareRequest.newBuilder().setCustodianId("custodian-2").setWarrantId(id)
                        .setCredential(ByteString.copyFromUtf8(Files.readString(dataDir.resolve("hsm/pins/custodian-2.pin")).strip()))
                        .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, pin.getStatus().getCode(), pin.getStatus().toString());
        assertTrue(pin.getStatus().getDescription().contains("credential: must be empty"), pin.getStatus().toString());

        consent(viaA, id, "custodian-1", 100);
        consent(viaB, id, "custodian-3", 100);
        assertEquals(Set.of("custodian-1", "custodian-3"), activations(viaA, id).keySet(), "A sees the consent given through B");
        assertEquals(Set.of("custodian-1", "custodian-3"), activations(viaB, id).keySet(), "B sees the consent given through A");

        List<RecoveredKey> first = recover(viaA, id);
        assertEquals(3, first.size());
        opensAll(recipient, id, first);
        List<RecoveredKey> again = recover(viaB, id);
        assertEquals(3, again.size());
        opensAll(recipient, id, again);
        assertEquals(94, activations(viaA, id).get("custodian-3").getUsesLeft(), "six partials, counted by the agent");

        CustodianServiceGrpc.newBlockingStub(viaB).deactivateShare(DeactivateShareRequest.newBuilder().setCustodianId("custodian-1")
                .setWarrantId(id).build());
        assertEquals(Activation.ActivationState.DEACTIVATED, activations(viaA, id).get("custodian-1").getState());
        for (ManagedChannel via : List.of(viaA, viaB)) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> recover(via, id));
            assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().contains("lacking activations from custodian-1, custodian-2"),
                    e.getStatus().toString());
        }
        String logs = a.logText() + b.logText();
        assertTrue(!logs.contains(Files.readString(dataDir.resolve("hsm/pins/custodian-1.pin")).strip()), "no PIN in the service logs");
    }

    @Test
    void agentKilledMidRecovery_endsItUnavailable_andAfterARestartItsCountsHoldAndRecoveryResumes() throws Exception {
        ManagedChannel viaA = channel(a);
        ManagedChannel viaB = channel(b);
        String subject = "killed-" + UUID.randomUUID() + "@example.org";
        EscrowKey key = EscrowServiceGrpc.newBlockingStub(viaA).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        var deposit = EscrowServiceGrpc.newBlockingStub(viaB);
        // Enough pages (of RecoveryService.PAGE) that the kill lands while pages remain.
        int n = 8 * io.escrow.recovery.RecoveryService.PAGE;
        for (int i = 0; i < n; i++) {
            deposit.deposit(sealed(key, subject));
        }
        AsymmetricCipherKeyPair recipient = BC.generatePrivateKey();
        String id = fileAndApprove(viaA, viaA, viaB, subject, BC.serializePublicKey(recipient.getPublic())).getWarrantId();
        consent(viaA, id, "custodian-1", 100_000);
        consent(viaB, id, "custodian-3", 100_000);

        Iterator<RecoveredKey> stream = RecoveryServiceGrpc.newBlockingStub(viaA).withDeadlineAfter(120, TimeUnit.SECONDS)
                .recover(RecoverRequest.newBuilder().setWarrantId(id).build());
        Set<String> received = new HashSet<>();
        received.add(stream.next().getRecordId());
        AGENTS.get("custodian-3").destroyForcibly().waitFor();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stream.forEachRemaining(k -> received.add(k.getRecordId())));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains("custodian-3"), e.getStatus().toString());
        assertTrue(received.size() < n, "stopped early: " + received.size());

        startAgent("custodian-3");
        Activation three = activations(viaB, id).get("custodian-3");
        assertNotNull(three);
        assertEquals(Activation.ActivationState.ACTIVE, three.getState());
        assertTrue(three.getUsesLeft() <= 100_000 - received.size(), "the restarted agent remembers its partials: " + three);

        List<RecoveredKey> resumed = recover(viaB, id);
        resumed.forEach(k -> received.add(k.getRecordId()));
        assertEquals(n, received.size(), "every record arrives once the agent is back");
        opensAll(recipient, id, resumed.subList(0, 5));
    }

    /**
     * A rotation as each party runs it, with no PIN anywhere but at the agents: each custodian
     * consents with its own certificate (escrowctl custodian ceremony-consent), the operator runs
     * escrowctl keys create through replica A, each agent process imports its share into its token
     * and attests it, and replica B serves the new key as current.
     */
    @Test
    void aKeyCreatedThroughTheAgents_isServedAsCurrentOnceTheyAttestIt() throws Exception {
        ManagedChannel viaB = channel(b);
        var escrow = EscrowServiceGrpc.newBlockingStub(viaB).withDeadlineAfter(60, TimeUnit.SECONDS);
        EscrowKey before = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        String rotated = "ek-rotated-" + Long.toString(System.nanoTime() % 1_000_000);
        String target = "localhost:" + a.grpcPort;
        var early = ServiceProcess.escrowctl(dataDir, "keys", "create", "--key-id", rotated, "--target", target);
        assertEquals(1, early.exit(), early.output());
        assertTrue(early.output().contains("has not consented to the ceremony of key " + rotated), early.output());
        rotateThroughAgents(rotated, target);
        EscrowKey after = EscrowServiceGrpc.newBlockingStub(viaB).withDeadlineAfter(60, TimeUnit.SECONDS)
                .getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        assertEquals(rotated, after.getKeyId(), "the attested new key is current (was " + before.getKeyId() + ")");
        assertEquals(3, after.getAttestationsCount(), after.toString());
        assertTrue(after.getAttestations(0).getStatement().toStringUtf8().contains("key_id=" + rotated));
        // A provider using the client library, pinning each custodian's CA, trusts it: the agents' attestations verify.
        Map<String, java.security.cert.X509Certificate> pins = new HashMap<>();
        for (int i = 1; i <= 3; i++) {
            String id = "custodian-" + i;
            try (var in = Files.newInputStream(DemoAuthorities.dir(dataDir).resolve(id).resolve("ca.pem"))) {
                pins.put(id, (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(in));
            }
        }
        assertEquals(List.of("custodian-1", "custodian-2", "custodian-3"),
                new io.escrow.client.AttestedKeys(pins).verify(after, Instant.now()).stream().sorted().toList());
    }

    /** Every custodian consents to a 2-of-3 key with its own certificate, then the operator creates it (escrowctl, no PINs). */
    private static void rotateThroughAgents(String keyId, String target) throws Exception {
        for (int i = 1; i <= 3; i++) {
            String id = "custodian-" + i;
            var consent = ServiceProcess.escrowctl(dataDir, "custodian", "ceremony-consent", "--key-id", keyId, "--custodian", id,
                    "--threshold", "2", "--custodians", "custodian-1,custodian-2,custodian-3",
                    "--cert", DemoAuthorities.signerCertificate(dataDir, id).toString(),
                    "--key", DemoAuthorities.signerKey(dataDir, id).toString(), "--target", target);
            assertEquals(0, consent.exit(), consent.output());
            assertTrue(consent.output().contains("escrow/v1/key-ceremony"), "the custodian sees what it signs: " + consent.output());
        }
        var created = ServiceProcess.escrowctl(dataDir, "keys", "create", "--key-id", keyId, "--target", target);
        assertEquals(0, created.exit(), created.output());
        assertTrue(created.output().contains("key " + keyId + " created, 2 of 3"), created.output());
    }

    /**
     * Retirement as each party runs it, against separate agent processes: after a rotation, the
     * operator's escrowctl keys retire is refused until the custodians consent (escrowctl custodian
     * retire, each with its own certificate); then every agent destroys its share, which
     * pkcs11-tool no longer lists in any token, deposits under the key are refused on both
     * replicas, and the audit log, key_retired leaf included, still verifies.
     */
    @Test
    void retiringTheKeyARotationReplaced_destroysItsShareInEveryToken_andTheLogStillVerifies() throws Exception {
        ManagedChannel viaA = channel(a);
        ManagedChannel viaB = channel(b);
        EscrowKey old = EscrowServiceGrpc.newBlockingStub(viaA).withDeadlineAfter(60, TimeUnit.SECONDS)
                .getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        String subject = "retired-" + UUID.randomUUID() + "@example.org";
        for (int i = 0; i < 5; i++) {
            EscrowServiceGrpc.newBlockingStub(viaA).deposit(sealed(old, subject));
        }
        String next = "ek-next-" + Long.toString(System.nanoTime() % 1_000_000);
        String target = "localhost:" + a.grpcPort;
        rotateThroughAgents(next, target);
        assertEquals(next, EscrowServiceGrpc.newBlockingStub(viaA).withDeadlineAfter(60, TimeUnit.SECONDS)
                .getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()).getKeyId());

        var early = ServiceProcess.escrowctl(dataDir, "keys", "retire", "--key-id", old.getKeyId(), "--target", target);
        assertEquals(1, early.exit(), early.output());
        assertTrue(early.output().contains("needs the signed consent of 2 of its 3 custodians"), early.output());
        for (int i = 1; i <= 3; i++) {
            String id = "custodian-" + i;
            var consent = ServiceProcess.escrowctl(dataDir, "custodian", "retire", "--key-id", old.getKeyId(), "--custodian", id,
                    "--cert", DemoAuthorities.signerCertificate(dataDir, id).toString(),
                    "--key", DemoAuthorities.signerKey(dataDir, id).toString(), "--target", target);
            assertEquals(0, consent.exit(), consent.output());
            assertTrue(consent.output().contains("escrow/v1/key-retirement"), "the custodian sees what it signs: " + consent.output());
        }
        var retired = ServiceProcess.escrowctl(dataDir, "keys", "retire", "--key-id", old.getKeyId(), "--target", target, "--json");
        assertEquals(0, retired.exit(), retired.output());
        // Earlier tests in this class deposit under the same key, so at least our five went with it.
        var dropped = java.util.regex.Pattern.compile("\"deposits_dropped\"\\s*:\\s*(\\d+)").matcher(retired.output());
        assertTrue(dropped.find(), retired.output());
        assertTrue(Long.parseLong(dropped.group(1)) >= 5, retired.output());

        String id = org.bouncycastle.util.encoders.Hex.toHexString(old.getKeyId().getBytes(StandardCharsets.UTF_8));
        for (int i = 1; i <= 3; i++) {
            String label = "custodian-" + i;
            ProcessBuilder pb = new ProcessBuilder("pkcs11-tool", "--module", "/usr/lib/softhsm/libsofthsm2.so", "--token-label", label,
                    "--login", "--pin", Files.readString(dataDir.resolve("hsm/pins/" + label + ".pin")).strip(), "--list-objects")
                    .redirectErrorStream(true);
            pb.environment().put("SOFTHSM2_CONF", dataDir.resolve("hsm/softhsm2.conf").toString());
            Process p = pb.start();
            String objects = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "pkcs11-tool did not finish: " + objects);
            assertEquals(0, p.exitValue(), objects);
            assertTrue(!objects.contains(id), label + " still lists the retired key's share:\n" + objects);
            assertTrue(objects.contains(org.bouncycastle.util.encoders.Hex.toHexString(next.getBytes(StandardCharsets.UTF_8))),
                    label + " keeps the new key's share:\n" + objects);
        }
        for (ManagedChannel via : List.of(viaA, viaB)) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> EscrowServiceGrpc.newBlockingStub(via).deposit(sealed(old, subject)));
            assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
        }
        var listed = ServiceProcess.escrowctl(dataDir, "keys", "list", "--target", target);
        assertTrue(listed.output().lines().anyMatch(l -> l.startsWith(old.getKeyId()) && l.contains("RETIRED")), listed.output());
        var verified = ServiceProcess.escrowctl(dataDir, "audit", "verify", "--target", target, "--state", root.resolve("retire-verify.state").toString());
        assertEquals(0, verified.exit(), verified.output());
    }
}
