package io.escrow.consent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
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
import io.escrow.proto.v1.ListActivationsRequest;
import io.escrow.proto.v1.RecoverRequest;
import io.escrow.proto.v1.RecoveredKey;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.proto.v1.RevokeWarrantRequest;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.storage.Database;
import io.escrow.testing.AuditProbe;
import io.escrow.testing.Deposits;
import io.escrow.testing.TestAuthorities;
import io.escrow.testing.TestTokens;
import io.escrow.testing.Warrants;
import io.escrow.warrant.DemoAuthorities;
import io.escrow.warrant.SignedBytes;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Consent through custodian agents: the service forwards each custodian's signed consent
 * statement to that custodian's own agent, holds no PIN, and asks the agents for partials.
 */
@QuarkusTest
@TestProfile(AgentProfile.class)
class AgentConsentGrpcTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Hpke HPKE = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);

    @GrpcClient("escrow")
    EscrowServiceGrpc.EscrowServiceBlockingStub escrow;

    @GrpcClient("escrow")
    io.grpc.Channel channel;

    @GrpcClient("escrow")
    WarrantServiceGrpc.WarrantServiceBlockingStub warrants;

    @GrpcClient("escrow")
    RecoveryServiceGrpc.RecoveryServiceBlockingStub recovery;

    @GrpcClient("escrow")
    CustodianServiceGrpc.CustodianServiceBlockingStub custodians;

    @Inject
    Database db;

    private AuditProbe audit;
    private long mark;
    private EscrowKey key;
    private final Map<String, byte[]> sessionKeys = new HashMap<>();

    @BeforeEach
    void setUp() {
        audit = new AuditProbe(db);
        mark = audit.mark();
        key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        // The demo custodians' CAs and signers, which the embedded agents trust (created once).
        DemoAuthorities.ensure(TestTokens.dataDir(), List.of("custodian-1", "custodian-2", "custodian-3"), m -> {});
    }

    private void deposit(String subject, int n) {
        for (int i = 0; i < n; i++) {
            byte[] sessionKey = new byte[32];
            RANDOM.nextBytes(sessionKey);
            DepositRequest d = Deposits.sealed(key, subject, 1, 2, sessionKey);
            sessionKeys.put(escrow.deposit(d).getRecordId(), sessionKey);
        }
    }

    private Warrant activeWarrant(Hpke.KeyPair recipient, String subject, int maxRecords) {
        Warrant w = warrants.fileWarrant(FileWarrantRequest.newBuilder()
                .setSpec(Warrants.spec(recipient, 0, 10, maxRecords, subject)).build());
        for (String a : List.of("court", "ministry")) {
            w = warrants.approveWarrant(ApproveWarrantRequest.newBuilder().setWarrantId(w.getWarrantId())
                    .setCmsSignature(Warrants.sign(w.getSignedBytes(), a)).build());
        }
        assertEquals(Warrant.WarrantState.ACTIVE, w.getState());
        return w;
    }

    private static ActivateShareRequest.Builder consent(Warrant w, String custodian, int uses) throws Exception {
        return io.escrow.testing.Activations.agentRequest(w, custodian, uses);
    }

    private List<RecoveredKey> recover(Warrant w) {
        List<RecoveredKey> out = new ArrayList<>();
        recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build()).forEachRemaining(out::add);
        return out;
    }

    private Map<String, Activation> activations(Warrant w) {
        Map<String, Activation> out = new TreeMap<>();
        custodians.listActivations(ListActivationsRequest.newBuilder().setWarrantId(w.getWarrantId()).build())
                .getActivationsList().forEach(a -> out.put(a.getCustodianId(), a));
        return out;
    }

    private static StatusRuntimeException fails(Status.Code code, String text, Runnable r) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, r::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(text), e.getStatus().toString());
        return e;
    }

    @Test
    void recover_withTwoAgentsConsenting_releasesTheKeys_andEachAgentCountsItsUses() throws Exception {
        String s = "agents-" + UUID.randomUUID();
        deposit(s, 3);
        Hpke.KeyPair recipient = Warrants.recipient();
        Warrant w = activeWarrant(recipient, s, 10);
        fails(Status.Code.FAILED_PRECONDITION, "lacking activations from custodian-1, custodian-2, custodian-3", () -> recover(w));
        custodians.activateShare(consent(w, "custodian-1", 10).build());
        custodians.activateShare(consent(w, "custodian-3", 10).build());
        List<RecoveredKey> out = recover(w);
        assertEquals(3, out.size());
        for (RecoveredKey k : out) {
            byte[] opened = HPKE.openOrNull(recipient, k.getEnc().toByteArray(),
                    ("escrow/v1/recovery/" + w.getWarrantId()).getBytes(StandardCharsets.UTF_8),
                    k.getRecordId().getBytes(StandardCharsets.UTF_8), k.getSealedKey().toByteArray());
            assertArrayEquals(sessionKeys.get(k.getRecordId()), opened);
            assertTrue(audit.at(k.getAuditIndex()).mentions("custodian-1,custodian-3"), "the release names the agents asked");
        }
        Map<String, Activation> after = activations(w);
        assertEquals(7, after.get("custodian-1").getUsesLeft());
        assertEquals(7, after.get("custodian-3").getUsesLeft());
        assertEquals(2, audit.find(mark, "activation_granted", w.getWarrantId()).size());
    }

    @Test
    void recover_pastMaxRecords_neverAsksTheAgentsForMore() throws Exception {
        String s = "agents-cap-" + UUID.randomUUID();
        deposit(s, 12);
        Warrant w = activeWarrant(Warrants.recipient(), s, 5);
        custodians.activateShare(consent(w, "custodian-1", 10).build());
        custodians.activateShare(consent(w, "custodian-3", 10).build());
        assertEquals(5, recover(w).size());
        Map<String, Activation> after = activations(w);
        assertEquals(5, after.get("custodian-1").getUsesLeft());
        assertEquals(5, after.get("custodian-3").getUsesLeft());
    }

    @Test
    void activate_withAPinForAnAgentBackedCustodian_isRefused_andAudited() throws Exception {
        Warrant w = activeWarrant(Warrants.recipient(), "agents-pin-" + UUID.randomUUID(), 5);
        ActivateShareRequest withPin = consent(w, "custodian-2", 5)
                .setCredential(ByteString.copyFromUtf8(TestTokens.pin("custodian-2"))).build();
        fails(Status.Code.INVALID_ARGUMENT, "credential: must be empty", () -> custodians.activateShare(withPin));
        AuditProbe.Leaf rejected = audit.find(mark, "activation_rejected", w.getWarrantId()).get(0);
        assertTrue(!rejected.mentions(TestTokens.pin("custodian-2")), "the PIN is not in the log");
        assertEquals(Map.of(), activations(w));
    }

    @Test
    void activate_withTheOldSignatureOverSignedBytes_isRefused() {
        Warrant w = activeWarrant(Warrants.recipient(), "agents-old-" + UUID.randomUUID(), 5);
        ActivateShareRequest old = ActivateShareRequest.newBuilder().setCustodianId("custodian-1").setWarrantId(w.getWarrantId())
                .setCmsSignature(Warrants.sign(w.getSignedBytes().toByteArray(), TestAuthorities.signer("custodian-1")))
                .setMaxUses(5).build();
        fails(Status.Code.INVALID_ARGUMENT, "consent_statement: is required", () -> custodians.activateShare(old));
        ActivateShareRequest bytesAsStatement = old.toBuilder().setConsentStatement(w.getSignedBytes()).build();
        fails(Status.Code.INVALID_ARGUMENT, "consent_statement", () -> custodians.activateShare(bytesAsStatement));
    }

    @Test
    void activate_signedByAnotherCustodian_isRefusedByTheAgent() throws Exception {
        Warrant w = activeWarrant(Warrants.recipient(), "agents-who-" + UUID.randomUUID(), 5);
        ActivateShareRequest.Builder mine = consent(w, "custodian-2", 5);
        ActivateShareRequest forged = mine.setCmsSignature(ByteString.copyFrom(DemoAuthorities.sign(TestTokens.dataDir(),
                "custodian-1", mine.getConsentStatement().toByteArray()))).build();
        fails(Status.Code.INVALID_ARGUMENT, "custodian agent of custodian-2: consent_signature", () -> custodians.activateShare(forged));
    }

    @Test
    void revocation_reachesTheAgents_andDeactivationEndsAConsent() throws Exception {
        String s = "agents-revoked-" + UUID.randomUUID();
        deposit(s, 1);
        Warrant w = activeWarrant(Warrants.recipient(), s, 5);
        custodians.activateShare(consent(w, "custodian-1", 5).build());
        custodians.activateShare(consent(w, "custodian-2", 5).build());
        assertEquals(Activation.ActivationState.DEACTIVATED, custodians.deactivateShare(DeactivateShareRequest.newBuilder()
                .setCustodianId("custodian-2").setWarrantId(w.getWarrantId()).build()).getState());
        fails(Status.Code.FAILED_PRECONDITION, "lacking activations from custodian-2, custodian-3", () -> recover(w));
        warrants.revokeWarrant(RevokeWarrantRequest.newBuilder().setWarrantId(w.getWarrantId())
                .setCmsSignature(Warrants.sign(SignedBytes.revocation(w.getWarrantId()), TestAuthorities.signer("court"))).build());
        assertEquals(Activation.ActivationState.REVOKED, activations(w).get("custodian-1").getState());
    }

    /** A revocation during a many-page recovery through agents: nothing released after it, and the agents refuse from then on. */
    @Test
    void revocation_stopsARunningRecoveryThroughAgents() throws Exception {
        String s = "agents-running-" + UUID.randomUUID();
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        var out = EscrowServiceGrpc.newStub(channel).depositStream(new io.grpc.stub.StreamObserver<>() {
            public void onNext(io.escrow.proto.v1.DepositReceipt r) {}
            public void onError(Throwable t) { done.completeExceptionally(t); }
            public void onCompleted() { done.complete(null); }
        });
        for (int i = 0; i < 1500; i++) {
            byte[] sessionKey = new byte[32];
            RANDOM.nextBytes(sessionKey);
            out.onNext(Deposits.sealed(key, s, 1, 2, sessionKey));
        }
        out.onCompleted();
        done.get(60, java.util.concurrent.TimeUnit.SECONDS);
        Warrant w = activeWarrant(Warrants.recipient(), s, 100_000);
        custodians.activateShare(consent(w, "custodian-1", 10_000).build());
        custodians.activateShare(consent(w, "custodian-2", 10_000).build());
        java.util.Iterator<RecoveredKey> stream = recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
        List<RecoveredKey> received = new ArrayList<>();
        received.add(stream.next());
        warrants.revokeWarrant(RevokeWarrantRequest.newBuilder().setWarrantId(w.getWarrantId())
                .setCmsSignature(Warrants.sign(SignedBytes.revocation(w.getWarrantId()), TestAuthorities.signer("court"))).build());
        long revokedAt = audit.find(mark, "warrant_revoked", w.getWarrantId()).get(0).index();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stream.forEachRemaining(received::add));
        assertTrue(e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION || e.getStatus().getCode() == Status.Code.UNAVAILABLE,
                e.getStatus().toString());
        assertTrue(received.size() < 1500, "stopped early: " + received.size());
        for (RecoveredKey k : received) {
            assertTrue(k.getAuditIndex() < revokedAt, "released after revocation: " + k.getAuditIndex() + " > " + revokedAt);
        }
        assertEquals(Activation.ActivationState.REVOKED, activations(w).get("custodian-1").getState());
    }

    @Inject
    io.escrow.keys.KeyRegistry registry;

    /** Each agent attests the current key after checking its token holds its share; the service serves t of them and logs it. */
    @Test
    void getEscrowKey_carriesTheAgentsAttestations_whichVerifyAgainstTheCustodiansOwnCas() throws Exception {
        EscrowKey served = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        assertTrue(served.getAttestationsCount() >= served.getThreshold(), served.toString());
        io.escrow.cms.TrustAnchors custodianCas = DemoAuthorities.ensure(TestTokens.dataDir(),
                List.of("custodian-1", "custodian-2", "custodian-3"), m -> {});
        for (var a : served.getAttestationsList()) {
            String statement = a.getStatement().toStringUtf8();
            assertTrue(statement.startsWith("escrow/v1/key-attestation\ncustodian_id=" + a.getCustodianId() + "\nkey_id="
                    + served.getKeyId() + "\npublic_key=" + org.bouncycastle.util.encoders.Hex.toHexString(served.getPublicKey().toByteArray())),
                    statement);
            var sig = io.escrow.cms.CmsSignatureVerifier.verify(a.getCmsSignature().toByteArray(), a.getStatement().toByteArray(),
                    custodianCas.only(a.getCustodianId()), Instant.EPOCH, Instant.now());
            assertEquals(a.getCustodianId(), sig.name());
        }
        assertTrue(db.inTransaction("count", c -> {
            try (var ps = c.prepareStatement("select count(*) from audit_log where type = 'key_published'")) {
                var rs = ps.executeQuery();
                rs.next();
                return rs.getLong(1);
            }
        }) >= 1, "a key_published leaf");
    }

    /**
     * A newer key record made by someone who knows its polynomial (here: shares held in memory,
     * not in the custodians' tokens) gets no attestation, so the attested key stays current.
     */
    @Test
    void aKeyRecordTheAgentsCannotAttest_isNotServedAsCurrent() throws Exception {
        EscrowKey before = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        List<io.escrow.threshold.ShareToken> memory = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            memory.add(new InMemoryShare("custodian-" + i));
        }
        String rogueId = "ek-rogue-" + Long.toString(System.nanoTime(), 36);
        io.escrow.threshold.KeyRecord rogue = new io.escrow.threshold.KeyCeremony(RANDOM, java.time.Clock.systemUTC(), m -> {})
                .run(rogueId, new io.escrow.threshold.ThresholdParameters(2, 3), memory);
        registry.add(rogue);
        try {
            assertEquals(rogueId, registry.current().orElseThrow().keyId(), "the registry alone would serve it");
            EscrowKey after = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
            assertEquals(before.getKeyId(), after.getKeyId(), "the attested key stays current");
            assertEquals(0, escrow.getEscrowKey(GetEscrowKeyRequest.newBuilder().setKeyId(rogueId).build()).getAttestationsCount());
        } finally {
            java.nio.file.Files.deleteIfExists(TestTokens.dataDir().resolve("keys").resolve(rogueId + ".json"));
            registry.refresh();
        }
    }

    /** A share held in memory: what an operator who ran its own "ceremony" would have. */
    private record InMemoryShare(String custodianId, java.util.Map<String, java.math.BigInteger> shares)
            implements io.escrow.threshold.ShareToken {
        InMemoryShare(String custodianId) {
            this(custodianId, new java.util.concurrent.ConcurrentHashMap<>());
        }

        public boolean hasShare(String keyId) {
            return shares.containsKey(keyId);
        }

        public void importShare(String keyId, io.escrow.threshold.SecretScalar share, org.bouncycastle.math.ec.ECPoint publicShare) {
            shares.put(keyId, share.toBigInteger());
        }

        public void deleteShare(String keyId) {
            shares.remove(keyId);
        }

        public byte[] deriveX(String keyId, org.bouncycastle.math.ec.ECPoint point) {
            return io.escrow.threshold.P256.xBytes(point.multiply(shares.get(keyId)).normalize());
        }
    }
}
