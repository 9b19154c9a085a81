package io.escrow.retirement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.escrow.consent.AgentProfile;
import io.escrow.hpke.Hpke;
import io.escrow.keys.KeyRegistry;
import io.escrow.proto.v1.ConsentKeyRetirementRequest;
import io.escrow.proto.v1.CustodianServiceGrpc;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowKeyInfo;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.KeyRetirement;
import io.escrow.proto.v1.ListEscrowKeysRequest;
import io.escrow.proto.v1.RecoverRequest;
import io.escrow.proto.v1.RecoveredKey;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.proto.v1.RetireEscrowKeyRequest;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.storage.Database;
import io.escrow.testing.Activations;
import io.escrow.testing.AuditProbe;
import io.escrow.testing.Deposits;
import io.escrow.testing.TestTokens;
import io.escrow.testing.Warrants;
import io.escrow.threshold.KeyCeremony;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.ThresholdParameters;
import io.escrow.transport.RecoveryTrailers;
import io.escrow.warrant.DemoAuthorities;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retiring a key through the custodians' agents (embedded, over gRPC, with real SoftHSM tokens):
 * refused and audited without enough consents or for the current key; with them, every share is
 * destroyed (pkcs11-tool, from outside, lists no object for it in any token), the key's deposits
 * are dropped, deposits under it are refused, and a recovery releases nothing of it and says so.
 */
@QuarkusTest
@TestProfile(AgentProfile.class)
class KeyRetirementGrpcTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final List<String> CUSTODIANS = List.of("custodian-1", "custodian-2", "custodian-3");

    @GrpcClient("escrow")
    EscrowServiceGrpc.EscrowServiceBlockingStub escrow;

    @GrpcClient("escrow")
    CustodianServiceGrpc.CustodianServiceBlockingStub custodians;

    @GrpcClient("escrow")
    WarrantServiceGrpc.WarrantServiceBlockingStub warrants;

    @GrpcClient("escrow")
    RecoveryServiceGrpc.RecoveryServiceBlockingStub recovery;

    @Inject
    KeyRegistry keys;

    @Inject
    Database db;

    private AuditProbe audit;

    @BeforeEach
    void setUp() {
        audit = new AuditProbe(db);
        DemoAuthorities.ensure(TestTokens.dataDir(), CUSTODIANS, m -> {});
    }

    /** An older key in the custodians' own tokens, as a ceremony thirty days ago would have left it: not the current key. */
    private EscrowKey olderKey() {
        String keyId = "ek-old-" + Long.toHexString(RANDOM.nextLong() >>> 1);
        Clock past = Clock.fixed(Instant.now().minus(Duration.ofDays(30)), ZoneOffset.UTC);
        KeyRecord record = new KeyCeremony(RANDOM, past, m -> {}).run(keyId, new ThresholdParameters(2, 3),
                new ArrayList<>(TestTokens.open(CUSTODIANS.toArray(String[]::new))));
        keys.add(record);
        return escrow.getEscrowKey(GetEscrowKeyRequest.newBuilder().setKeyId(keyId).build());
    }

    private void consent(String custodian, EscrowKey key) throws Exception {
        byte[] statement = new RetirementStatement(custodian, key.getKeyId(), key.getPublicKey().toByteArray()).encode();
        custodians.consentKeyRetirement(ConsentKeyRetirementRequest.newBuilder().setCustodianId(custodian).setKeyId(key.getKeyId())
                .setStatement(ByteString.copyFrom(statement))
                .setCmsSignature(ByteString.copyFrom(DemoAuthorities.sign(TestTokens.dataDir(), custodian, statement))).build());
    }

    private KeyRetirement retire(String keyId) {
        return escrow.retireEscrowKey(RetireEscrowKeyRequest.newBuilder().setKeyId(keyId).build());
    }

    @Test
    void retire_withConsents_destroysEveryShare_dropsDeposits_andRefusesDepositsAfter() throws Exception {
        EscrowKey old = olderKey();
        EscrowKey current = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        assertFalse(old.getKeyId().equals(current.getKeyId()));
        String subject = "retire-" + UUID.randomUUID();
        for (int i = 0; i < 3; i++) {
            escrow.deposit(Deposits.sealed(old, subject, 1, 2, new byte[] {(byte) i, 1, 2, 3}));
        }
        for (int i = 0; i < 2; i++) {
            escrow.deposit(Deposits.sealed(current, subject, 1, 2, new byte[] {(byte) i, 4, 5, 6}));
        }

        long mark = audit.mark();
        StatusRuntimeException none = assertThrows(StatusRuntimeException.class, () -> retire(old.getKeyId()));
        assertEquals(Status.Code.FAILED_PRECONDITION, none.getStatus().getCode());
        assertTrue(none.getStatus().getDescription().contains("needs the signed consent of 2 of its 3 custodians"),
                none.getStatus().getDescription());
        consent("custodian-1", old);
        StatusRuntimeException one = assertThrows(StatusRuntimeException.class, () -> retire(old.getKeyId()));
        assertTrue(one.getStatus().getDescription().contains("consented: [custodian-1]"), one.getStatus().getDescription());
        assertEquals(2, audit.find(mark, io.escrow.retirement.KeyRetirement.REFUSED, old.getKeyId()).size(), "each refusal is audited");
        assertTrue(TestTokens.open("custodian-1").hasShare(old.getKeyId()), "a consent alone destroys nothing");

        consent("custodian-2", old);
        consent("custodian-3", old);
        KeyRetirement done = retire(old.getKeyId());
        assertEquals(3, done.getDestroyedCount(), "every consenting agent destroyed its share");
        assertEquals(3, done.getDepositsDropped());
        for (var d : done.getDestroyedList()) {
            ShareDestroyedStatement s = ShareDestroyedStatement.decode(d.getStatement().toByteArray());
            assertEquals(d.getCustodianId(), s.custodianId());
            assertEquals(old.getKeyId(), s.keyId());
            assertFalse(d.getCmsSignature().isEmpty());
        }
        var leaf = audit.at(done.getAuditIndex());
        assertEquals(io.escrow.retirement.KeyRetirement.RETIRED, leaf.type());
        assertTrue(leaf.mentions(old.getKeyId()));

        for (String custodian : CUSTODIANS) {
            String objects = TestTokens.pkcs11ToolObjects(custodian);
            assertFalse(objects.contains(Hex.toHexString(old.getKeyId().getBytes(StandardCharsets.UTF_8))), custodian + ":\n" + objects);
            assertFalse(objects.contains(old.getKeyId()), custodian + ":\n" + objects);
            assertTrue(objects.contains(Hex.toHexString(current.getKeyId().getBytes(StandardCharsets.UTF_8))),
                    "the current key's share stays in " + custodian + ":\n" + objects);
        }

        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> escrow.deposit(Deposits.sealed(old, subject, 1, 2, new byte[] {9})));
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("is retired"), refused.getStatus().getDescription());
        StatusRuntimeException lookup = assertThrows(StatusRuntimeException.class,
                () -> escrow.getEscrowKey(GetEscrowKeyRequest.newBuilder().setKeyId(old.getKeyId()).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, lookup.getStatus().getCode());
        EscrowKeyInfo listed = escrow.listEscrowKeys(ListEscrowKeysRequest.getDefaultInstance()).getKeysList().stream()
                .filter(k -> k.getKey().getKeyId().equals(old.getKeyId())).findFirst().orElseThrow();
        assertTrue(listed.hasRetiredAt());

        // A recovery under a warrant over both keys' records releases the current key's only, and names the retired key.
        Hpke.KeyPair recipient = Warrants.recipient();
        Warrant w = Warrants.fileApproved(warrants, Warrants.spec(recipient, 0, 10, 100, subject));
        for (String custodian : List.of("custodian-1", "custodian-2")) {
            custodians.activateShare(Activations.agentRequest(w, custodian, 100).build());
        }
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        List<RecoveredKey> out = new ArrayList<>();
        recovery.withInterceptors(io.grpc.stub.MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers))
                .recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build()).forEachRemaining(out::add);
        assertEquals(2, out.size(), "only the current key's two records");
        assertEquals("0", trailers.get().get(RecoveryTrailers.FAILED));
        assertTrue(trailers.get().get(RecoveryTrailers.RETIRED_KEYS).contains(old.getKeyId()));

        KeyRetirement again = retire(old.getKeyId());
        assertEquals(done.getAuditIndex(), again.getAuditIndex(), "re-running answers with the retirement already made");
    }

    @Test
    void retire_ofTheCurrentKey_isRefused_andAudited() {
        EscrowKey current = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        long mark = audit.mark();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> retire(current.getKeyId()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("rotation"), e.getStatus().getDescription());
        assertEquals(1, audit.find(mark, io.escrow.retirement.KeyRetirement.REFUSED, current.getKeyId()).size());
    }

    @Test
    void consent_signedByAnotherCustodian_isRefusedByTheAgent() throws Exception {
        EscrowKey old = olderKey();
        byte[] statement = new RetirementStatement("custodian-1", old.getKeyId(), old.getPublicKey().toByteArray()).encode();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> custodians.consentKeyRetirement(
                ConsentKeyRetirementRequest.newBuilder().setCustodianId("custodian-1").setKeyId(old.getKeyId())
                        .setStatement(ByteString.copyFrom(statement))
                        .setCmsSignature(ByteString.copyFrom(DemoAuthorities.sign(TestTokens.dataDir(), "custodian-2", statement))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("does not verify against the anchor of custodian-1"), e.getStatus().getDescription());
    }

    @Test
    void consent_toAnotherPublicKey_isRefusedByTheAgent() throws Exception {
        EscrowKey old = olderKey();
        byte[] otherKey = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()).getPublicKey().toByteArray();
        byte[] statement = new RetirementStatement("custodian-1", old.getKeyId(), otherKey).encode();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> custodians.consentKeyRetirement(
                ConsentKeyRetirementRequest.newBuilder().setCustodianId("custodian-1").setKeyId(old.getKeyId())
                        .setStatement(ByteString.copyFrom(statement))
                        .setCmsSignature(ByteString.copyFrom(DemoAuthorities.sign(TestTokens.dataDir(), "custodian-1", statement))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("another id or public key"), e.getStatus().getDescription());
    }
}
