package io.escrow.ceremony;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.escrow.consent.AgentProfile;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.proto.v1.ConsentKeyCeremonyRequest;
import io.escrow.proto.v1.CreateEscrowKeyRequest;
import io.escrow.proto.v1.CustodianServiceGrpc;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.KeyCeremonyConsent;
import io.escrow.proto.v1.RecoverRequest;
import io.escrow.proto.v1.RecoveredKey;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.storage.Database;
import io.escrow.testing.Activations;
import io.escrow.testing.AuditProbe;
import io.escrow.testing.Deposits;
import io.escrow.testing.TestTokens;
import io.escrow.testing.Warrants;
import io.escrow.warrant.DemoAuthorities;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.grpc.GrpcClient;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A new key's ceremony through the custodians' agents (embedded, over gRPC, real SoftHSM tokens):
 * refused and audited until every custodian consented to its terms; with all consents, each
 * agent takes its share into its token (pkcs11-tool, from outside, lists it), attests it, the key
 * is published and served as current, and deposits sealed to it are recovered through the agents.
 */
@QuarkusTest
@TestProfile(AgentProfile.class)
class AgentKeyCeremonyGrpcTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final List<String> CUSTODIANS = List.of("custodian-1", "custodian-2", "custodian-3");
    private static final Hpke HPKE = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);

    @GrpcClient("escrow")
    EscrowServiceGrpc.EscrowServiceBlockingStub escrow;

    @GrpcClient("escrow")
    CustodianServiceGrpc.CustodianServiceBlockingStub custodians;

    @GrpcClient("escrow")
    WarrantServiceGrpc.WarrantServiceBlockingStub warrants;

    @GrpcClient("escrow")
    RecoveryServiceGrpc.RecoveryServiceBlockingStub recovery;

    @Inject
    Database db;

    private AuditProbe audit;

    @BeforeEach
    void setUp() {
        audit = new AuditProbe(db);
        DemoAuthorities.ensure(TestTokens.dataDir(), CUSTODIANS, m -> {});
    }

    private static String newKeyId() {
        return "ek-new-" + Long.toHexString(RANDOM.nextLong() >>> 1);
    }

    private KeyCeremonyConsent consent(String custodian, String keyId, int t, String signer) throws Exception {
        byte[] statement = new CeremonyStatement(custodian, keyId, t, CUSTODIANS).encode();
        return custodians.consentKeyCeremony(ConsentKeyCeremonyRequest.newBuilder().setCustodianId(custodian).setKeyId(keyId)
                .setStatement(ByteString.copyFrom(statement))
                .setCmsSignature(ByteString.copyFrom(DemoAuthorities.sign(TestTokens.dataDir(), signer, statement))).build());
    }

    private io.escrow.proto.v1.CreatedEscrowKey create(String keyId, int t) {
        return escrow.createEscrowKey(CreateEscrowKeyRequest.newBuilder().setKeyId(keyId).setThreshold(t).build());
    }

    @Test
    void create_withEveryConsent_putsAShareInEachToken_publishesTheKey_andItsDepositsAreRecovered() throws Exception {
        String keyId = newKeyId();
        long mark = audit.mark();
        StatusRuntimeException none = assertThrows(StatusRuntimeException.class, () -> create(keyId, 2));
        assertEquals(Status.Code.FAILED_PRECONDITION, none.getStatus().getCode());
        assertTrue(none.getStatus().getDescription().contains("custodian custodian-1 has not consented to the ceremony of key " + keyId),
                none.getStatus().getDescription());
        consent("custodian-1", keyId, 2, "custodian-1");
        consent("custodian-2", keyId, 2, "custodian-2");
        consent("custodian-3", keyId, 3, "custodian-3");
        StatusRuntimeException otherTerms = assertThrows(StatusRuntimeException.class, () -> create(keyId, 2));
        assertEquals(Status.Code.FAILED_PRECONDITION, otherTerms.getStatus().getCode());
        String why = otherTerms.getStatus().getDescription();
        assertTrue(why.contains("custodian-3: consented to other terms") && !why.contains("custodian-1:"), why);
        assertEquals(2, audit.find(mark, AgentKeyCeremony.REFUSED, keyId).size(), "each refusal is audited");
        for (String c : CUSTODIANS) {
            assertFalse(TestTokens.open(c).hasShare(keyId), "nothing is dealt before every consent: " + c);
        }

        String keyId2 = newKeyId();
        for (String c : CUSTODIANS) {
            assertTrue(consent(c, keyId2, 2, c).hasConsentedAt());
        }
        assertEquals(3, audit.find(mark, AgentKeyCeremony.CONSENT, keyId2).size());
        var result = create(keyId2, 2);
        assertTrue(result.getRecorded(), result.getNotRecordedReason());
        EscrowKey created = result.getKey();
        assertEquals(keyId2, created.getKeyId());
        var record = io.escrow.keys.KeyRecordJson.read(result.getKeyRecord().toByteArray());
        assertArrayEquals(created.getPublicKey().toByteArray(), record.publicKeyBytes(), "the record returned is the key's");
        assertTrue(audit.find(mark, AgentKeyCeremony.CREATED, keyId2).get(0).mentions(result.getKeyRecord().toStringUtf8()),
                "key_created carries the key record");
        assertEquals(3, created.getAttestationsCount(), "every agent attested the share it took");
        assertEquals(1, audit.find(mark, AgentKeyCeremony.CREATED, keyId2).size());
        assertEquals(1, audit.find(mark, "key_published", keyId2).size());
        EscrowKey current = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        assertEquals(keyId2, current.getKeyId(), "the new key is served as current");
        assertArrayEquals(created.getPublicKey().toByteArray(), current.getPublicKey().toByteArray());
        for (String c : CUSTODIANS) {
            String objects = TestTokens.pkcs11ToolObjects(c);
            assertTrue(objects.contains(Hex.toHexString(keyId2.getBytes(StandardCharsets.UTF_8))), c + ":\n" + objects);
        }

        StatusRuntimeException again = assertThrows(StatusRuntimeException.class, () -> create(keyId2, 2));
        assertEquals(Status.Code.ALREADY_EXISTS, again.getStatus().getCode());

        // The shares are right: two agents together open what providers seal to the new key.
        String subject = "ceremony-" + UUID.randomUUID();
        Map<String, byte[]> sessionKeys = new HashMap<>();
        for (int i = 0; i < 2; i++) {
            byte[] sessionKey = new byte[32];
            RANDOM.nextBytes(sessionKey);
            var request = Deposits.sealed(current, subject, 1, 2, sessionKey);
            escrow.deposit(request);
            sessionKeys.put(request.getProviderRecordId(), sessionKey);
        }
        Hpke.KeyPair recipient = Warrants.recipient();
        Warrant w = Warrants.fileApproved(warrants, Warrants.spec(recipient, 0, 10, 100, subject));
        custodians.activateShare(Activations.agentRequest(w, "custodian-2", 10).build());
        custodians.activateShare(Activations.agentRequest(w, "custodian-3", 10).build());
        List<RecoveredKey> out = new ArrayList<>();
        recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build()).forEachRemaining(out::add);
        assertEquals(2, out.size());
        for (RecoveredKey k : out) {
            byte[] opened = HPKE.openOrNull(recipient, k.getEnc().toByteArray(),
                    ("escrow/v1/recovery/" + w.getWarrantId()).getBytes(StandardCharsets.UTF_8),
                    k.getRecordId().getBytes(StandardCharsets.UTF_8), k.getSealedKey().toByteArray());
            assertTrue(sessionKeys.values().stream().anyMatch(v -> java.util.Arrays.equals(v, opened)), "a deposited session key");
        }
    }

    /**
     * Where the service cannot write the key record (on Kubernetes the key directory is a read-only
     * ConfigMap; here a directory in the way of the record's temporary file, which stops root too),
     * the key is still made and attested, the answer carries its record to publish, and once the
     * operator publishes it the key is served.
     */
    @Test
    void create_whereTheRecordCannotBeWritten_returnsItToPublish_andTheKeyIsServedOncePublished() throws Exception {
        String keyId = newKeyId();
        for (String c : CUSTODIANS) {
            consent(c, keyId, 2, c);
        }
        java.nio.file.Path keys = TestTokens.dataDir().resolve("keys");
        java.nio.file.Path blocker = java.nio.file.Files.createDirectories(keys.resolve("." + keyId + ".json.tmp"));
        io.escrow.proto.v1.CreatedEscrowKey result;
        try {
            result = create(keyId, 2);
        } finally {
            java.nio.file.Files.delete(blocker);
        }
        assertFalse(result.getRecorded());
        assertTrue(result.getNotRecordedReason().contains("cannot write key record"), result.getNotRecordedReason());
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
                () -> escrow.getEscrowKey(GetEscrowKeyRequest.newBuilder().setKeyId(keyId).build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode(), "not served before it is published");

        java.nio.file.Files.write(keys.resolve(keyId + ".json"), result.getKeyRecord().toByteArray());
        EscrowKey current = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        assertEquals(keyId, current.getKeyId(), "published, attested and served");
        assertEquals(3, current.getAttestationsCount());
    }

    @Test
    void consent_signedByAnotherCustodian_isRefusedByTheAgent() {
        String keyId = newKeyId();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> consent("custodian-1", keyId, 2, "custodian-2"));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("does not verify against the anchor of custodian-1"), e.getStatus().getDescription());
    }

    @Test
    void consent_whoseStatementNamesAnotherKey_isRefused_beforeItReachesTheAgent() throws Exception {
        String keyId = newKeyId();
        byte[] statement = new CeremonyStatement("custodian-1", newKeyId(), 2, CUSTODIANS).encode();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> custodians.consentKeyCeremony(
                ConsentKeyCeremonyRequest.newBuilder().setCustodianId("custodian-1").setKeyId(keyId).setStatement(ByteString.copyFrom(statement))
                        .setCmsSignature(ByteString.copyFrom(DemoAuthorities.sign(TestTokens.dataDir(), "custodian-1", statement))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("not custodian-1's consent to key " + keyId), e.getStatus().getDescription());
    }

    @Test
    void create_withAThresholdAboveN_isRefused() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> create(newKeyId(), 4));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }
}
