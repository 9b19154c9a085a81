package io.escrow.consent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import io.escrow.hsm.CustodianTokens;
import io.escrow.hsm.HsmException;
import io.escrow.hsm.PinSource;
import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.hsm.TokenConfig;
import io.escrow.keys.KeyRegistry;
import io.escrow.proto.v1.ActivateShareRequest;
import io.escrow.proto.v1.Activation;
import io.escrow.proto.v1.ApproveWarrantRequest;
import io.escrow.proto.v1.CustodianServiceGrpc;
import io.escrow.proto.v1.DeactivateShareRequest;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.ListActivationsRequest;
import io.escrow.proto.v1.RecoverRequest;
import io.escrow.proto.v1.RecoveredKey;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.recovery.CustodianAccess;
import io.escrow.storage.Database;
import io.escrow.testing.AuditProbe;
import io.escrow.testing.Deposits;
import io.escrow.testing.TestAuthorities;
import io.escrow.testing.TestTokens;
import io.escrow.testing.Warrants;
import io.escrow.threshold.InsufficientCustodiansException;
import io.escrow.threshold.ThresholdDecryptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Custodian consent: no activations, no decryption; activations bound to one warrant, checked and audited. */
@QuarkusTest
@TestProfile(ConsentProfile.class)
class ConsentGrpcTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @GrpcClient("escrow")
    EscrowServiceGrpc.EscrowServiceBlockingStub escrow;

    @GrpcClient("escrow")
    WarrantServiceGrpc.WarrantServiceBlockingStub warrants;

    @GrpcClient("escrow")
    RecoveryServiceGrpc.RecoveryServiceBlockingStub recovery;

    @GrpcClient("escrow")
    CustodianServiceGrpc.CustodianServiceBlockingStub custodians;

    @Inject
    Database db;

    @Inject
    CustodianAccess access;

    @Inject
    CustodianTokens serviceTokens;

    @Inject
    ThresholdDecryptor decryptor;

    @Inject
    KeyRegistry keys;

    private AuditProbe audit;
    private long mark;
    private EscrowKey key;

    @BeforeEach
    void setUp() {
        audit = new AuditProbe(db);
        mark = audit.mark();
        key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
    }

    private DepositRequest sealed(String subject) {
        byte[] sessionKey = new byte[32];
        RANDOM.nextBytes(sessionKey);
        return Deposits.sealed(key, subject, 1, 2, sessionKey);
    }

    private Warrant activeWarrant(String subject) {
        Warrant w = warrants.fileWarrant(FileWarrantRequest.newBuilder()
                .setSpec(Warrants.spec(Warrants.recipient(), 0, 10, 100, subject)).build());
        for (String a : List.of("court", "ministry")) {
            w = warrants.approveWarrant(ApproveWarrantRequest.newBuilder().setWarrantId(w.getWarrantId())
                    .setCmsSignature(Warrants.sign(w.getSignedBytes(), a)).build());
        }
        assertEquals(Warrant.WarrantState.ACTIVE, w.getState());
        return w;
    }

    private ActivateShareRequest.Builder activation(Warrant w, String custodian, String signer) throws Exception {
        return io.escrow.testing.Activations.request(w, custodian, signer);
    }

    private List<RecoveredKey> recover(Warrant w) {
        List<RecoveredKey> out = new ArrayList<>();
        recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build()).forEachRemaining(out::add);
        return out;
    }

    private static StatusRuntimeException fails(Status.Code code, Runnable r) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, r::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        return e;
    }

    @Test
    void recover_withoutActivations_failsNamingTheMissingCustodians() {
        String s = "consent-none-" + UUID.randomUUID();
        escrow.deposit(sealed(s));
        Warrant w = activeWarrant(s);
        StatusRuntimeException e = fails(Status.Code.FAILED_PRECONDITION, () -> recover(w));
        assertTrue(e.getStatus().getDescription().contains("lacking activations from custodian-1, custodian-2, custodian-3"),
                e.getStatus().toString());
    }

    /** A ttl is a protobuf Duration: negative ones, and nanos outside 0..999,999,999, are refused, not clamped. */
    @Test
    void activateShare_withMalformedTtl_isInvalidArgument() throws Exception {
        String s = "consent-ttl-" + UUID.randomUUID();
        Warrant w = activeWarrant(s);
        AuditProbe probe = new AuditProbe(db);
        long before = probe.mark();
        List<Duration> malformed = List.of(Duration.newBuilder().setSeconds(-60).build(), Duration.newBuilder().setSeconds(60).setNanos(-1).build(),
                Duration.newBuilder().setSeconds(60).setNanos(1_000_000_000).build(), Duration.newBuilder().setNanos(-5).build(),
                Duration.getDefaultInstance());
        for (Duration bad : malformed) {
            StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT,
                    () -> {
                        try {
                            custodians.activateShare(activation(w, "custodian-1", "custodian-1").setTtl(bad).build());
                        } catch (StatusRuntimeException sre) {
                            throw sre;
                        } catch (Exception other) {
                            throw new IllegalStateException(other);
                        }
                    });
            assertTrue(e.getStatus().getDescription().startsWith("ttl: "), bad + " -> " + e.getStatus());
        }
        assertEquals(malformed.size(), probe.find(before, "activation_rejected", w.getWarrantId()).size(), "each refusal is audited");
    }

    @Test
    void recover_afterCustodians1And3Activate_usesExactlyThoseTwo() throws Exception {
        String s = "consent-13-" + UUID.randomUUID();
        escrow.deposit(sealed(s));
        escrow.deposit(sealed(s));
        Warrant w = activeWarrant(s);
        custodians.activateShare(activation(w, "custodian-1", "custodian-1").build());
        StatusRuntimeException one = fails(Status.Code.FAILED_PRECONDITION, () -> recover(w));
        assertTrue(one.getStatus().getDescription().contains("custodian-2, custodian-3"), one.getStatus().toString());
        Activation a3 = custodians.activateShare(activation(w, "custodian-3", "custodian-3").build());
        assertEquals(Activation.ActivationState.ACTIVE, a3.getState());
        List<RecoveredKey> keysOut = recover(w);
        assertEquals(2, keysOut.size());
        for (RecoveredKey k : keysOut) {
            assertTrue(audit.at(k.getAuditIndex()).mentions("custodian-1,custodian-3"), "release names the custodians used");
        }
        var list = custodians.listActivations(ListActivationsRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
        assertEquals(2, list.getActivationsCount());
        list.getActivationsList().forEach(a -> assertEquals(98, a.getUsesLeft(), a.toString()));
        assertEquals(2, audit.find(mark, "activation_granted", w.getWarrantId()).size());
        custodians.deactivateShare(DeactivateShareRequest.newBuilder().setCustodianId("custodian-1").setWarrantId(w.getWarrantId()).build());
        custodians.deactivateShare(DeactivateShareRequest.newBuilder().setCustodianId("custodian-3").setWarrantId(w.getWarrantId()).build());
        fails(Status.Code.FAILED_PRECONDITION, () -> recover(w));
    }

    private Warrant activeWarrant(String subject, int maxRecords) {
        Warrant w = warrants.fileWarrant(FileWarrantRequest.newBuilder()
                .setSpec(Warrants.spec(Warrants.recipient(), 0, 10, maxRecords, subject)).build());
        for (String a : List.of("court", "ministry")) {
            w = warrants.approveWarrant(ApproveWarrantRequest.newBuilder().setWarrantId(w.getWarrantId())
                    .setCmsSignature(Warrants.sign(w.getSignedBytes(), a)).build());
        }
        return w;
    }

    private Map<String, Integer> usesLeft(Warrant w) {
        Map<String, Integer> out = new TreeMap<>();
        custodians.listActivations(ListActivationsRequest.newBuilder().setWarrantId(w.getWarrantId()).build())
                .getActivationsList().forEach(a -> out.put(a.getCustodianId() + " " + a.getState(), a.getUsesLeft()));
        return out;
    }

    /**
     * The cap bounds decryption: with max_records 5 and two consents of 10 uses each, records past
     * the cap are never opened, so each consent is charged 5 uses whether 7 or 12 records are in
     * scope (before, 7 records spent 7 uses, and 12 exhausted both consents and released nothing).
     */
    @Test
    void recover_pastMaxRecords_opensNoMoreRecordsThanItReleases() throws Exception {
        for (int inScope : new int[] {7, 12}) {
            String s = "consent-cap-" + inScope + "-" + UUID.randomUUID();
            for (int i = 0; i < inScope; i++) {
                escrow.deposit(sealed(s));
            }
            Warrant w = activeWarrant(s, 5);
            custodians.activateShare(activation(w, "custodian-1", "custodian-1").setMaxUses(10).build());
            custodians.activateShare(activation(w, "custodian-3", "custodian-3").setMaxUses(10).build());
            List<RecoveredKey> out = recover(w);
            assertEquals(5, out.size(), inScope + " in scope");
            // The warrant is exhausted, so its activations end too (DEACTIVATED, within a second).
            Map<String, Integer> uses = new TreeMap<>();
            usesLeft(w).forEach((k, v) -> uses.put(k.substring(0, k.indexOf(' ')), v));
            assertEquals(Map.of("custodian-1", 5, "custodian-3", 5), uses, inScope + " in scope");
            assertEquals(5, audit.find(mark, "release", w.getWarrantId()).size());
        }
    }

    /**
     * Consents with fewer uses than records in scope: the recovery opens only what the uses
     * cover, sends it, and stops with FAILED_PRECONDITION instead of failing every record; once
     * the custodians consent again, the rest follows.
     */
    @Test
    void recover_withFewerUsesThanRecords_sendsWhatTheUsesCover_thenResumesAfterNewConsent() throws Exception {
        String s = "consent-uses-" + UUID.randomUUID();
        for (int i = 0; i < 5; i++) {
            escrow.deposit(sealed(s));
        }
        Warrant w = activeWarrant(s, 10);
        custodians.activateShare(activation(w, "custodian-1", "custodian-1").setMaxUses(3).build());
        custodians.activateShare(activation(w, "custodian-3", "custodian-3").setMaxUses(4).build());
        List<RecoveredKey> received = new ArrayList<>();
        Iterator<RecoveredKey> stream = recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stream.forEachRemaining(received::add));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains("activate again"), e.getStatus().toString());
        assertEquals(3, received.size());
        assertEquals(Map.of("custodian-1 EXHAUSTED", 0, "custodian-3 ACTIVE", 1), usesLeft(w));
        assertEquals(0, audit.find(mark, "release_failed", w.getWarrantId()).size());

        custodians.activateShare(activation(w, "custodian-1", "custodian-1").setMaxUses(5).build());
        custodians.activateShare(activation(w, "custodian-2", "custodian-2").setMaxUses(5).build());
        List<RecoveredKey> rest = new ArrayList<>();
        recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).setOnlyNew(true).build())
                .forEachRemaining(rest::add);
        assertEquals(2, rest.size());
        assertEquals(5, audit.find(mark, "release", w.getWarrantId()).size());
    }

    @Test
    void activation_forAPendingWarrant_isRefused() throws Exception {
        String s = "consent-pending-" + UUID.randomUUID();
        Warrant w = warrants.fileWarrant(FileWarrantRequest.newBuilder()
                .setSpec(Warrants.spec(Warrants.recipient(), 0, 10, 5, s)).build());
        w = warrants.approveWarrant(ApproveWarrantRequest.newBuilder().setWarrantId(w.getWarrantId())
                .setCmsSignature(Warrants.sign(w.getSignedBytes(), "court")).build());
        assertEquals(Warrant.WarrantState.PENDING, w.getState());
        ActivateShareRequest early = activation(w, "custodian-1", "custodian-1").build();
        StatusRuntimeException e = fails(Status.Code.FAILED_PRECONDITION, () -> custodians.activateShare(early));
        assertTrue(e.getStatus().getDescription().contains("PENDING"), e.getStatus().toString());
        assertEquals(1, audit.find(mark, "activation_rejected", w.getWarrantId()).size());
    }

    @Test
    void revocation_endsTheWarrantsActivations() throws Exception {
        String s = "consent-revoked-" + UUID.randomUUID();
        Warrant w = activeWarrant(s);
        custodians.activateShare(activation(w, "custodian-1", "custodian-1").build());
        warrants.revokeWarrant(io.escrow.proto.v1.RevokeWarrantRequest.newBuilder().setWarrantId(w.getWarrantId())
                .setCmsSignature(Warrants.sign(io.escrow.warrant.SignedBytes.revocation(w.getWarrantId()),
                        TestAuthorities.signer("court"))).build());
        // The registry shows the activation ended first and appends its audit leaf just after (outside
        // its monitor, once the token session is let go): wait for both.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while ((!usesLeft(w).containsKey("custodian-1 DEACTIVATED")
                || audit.find(mark, "activation_deactivated", w.getWarrantId()).isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(Map.of("custodian-1 DEACTIVATED", 100), usesLeft(w));
        assertEquals(1, audit.find(mark, "activation_deactivated", w.getWarrantId()).size());
    }

    @Test
    void activation_badInputs_areRefusedAndAudited() throws Exception {
        String s = "consent-bad-" + UUID.randomUUID();
        Warrant w = activeWarrant(s);
        Warrant other = activeWarrant(s + "-other");
        // signed by a non-custodian (an authority's signer)
        fails(Status.Code.INVALID_ARGUMENT, () -> {
            try {
                custodians.activateShare(activation(w, "custodian-2", "court").build());
            } catch (StatusRuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // a custodian's signature over another warrant
        ActivateShareRequest otherBytes = activation(w, "custodian-2", "custodian-2")
                .setCmsSignature(Warrants.sign(other.getSignedBytes().toByteArray(), TestAuthorities.signer("custodian-2"))).build();
        fails(Status.Code.INVALID_ARGUMENT, () -> custodians.activateShare(otherBytes));
        // a wrong PIN
        ActivateShareRequest wrongPin = activation(w, "custodian-2", "custodian-2").setCredential(ByteString.copyFromUtf8("000000")).build();
        fails(Status.Code.PERMISSION_DENIED, () -> custodians.activateShare(wrongPin));
        // replayed after deactivation
        ActivateShareRequest good = activation(w, "custodian-2", "custodian-2").build();
        custodians.activateShare(good);
        custodians.deactivateShare(DeactivateShareRequest.newBuilder().setCustodianId("custodian-2").setWarrantId(w.getWarrantId()).build());
        StatusRuntimeException replay = fails(Status.Code.FAILED_PRECONDITION, () -> custodians.activateShare(good));
        assertTrue(replay.getStatus().getDescription().contains("already used"), replay.getStatus().toString());
        // expired
        custodians.activateShare(activation(w, "custodian-2", "custodian-2").setTtl(Duration.newBuilder().setSeconds(1)).build());
        Thread.sleep(2500);
        var list = custodians.listActivations(ListActivationsRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
        assertTrue(list.getActivationsList().stream().anyMatch(a -> a.getState() == Activation.ActivationState.EXPIRED), list.toString());
        assertTrue(list.getActivationsList().stream().anyMatch(a -> a.getState() == Activation.ActivationState.DEACTIVATED), list.toString());
        StatusRuntimeException afterExpiry = fails(Status.Code.FAILED_PRECONDITION, () -> recover(w));
        assertTrue(afterExpiry.getStatus().getDescription().contains("custodian-2"), afterExpiry.getStatus().toString());
        // a lifetime that has already run out
        ActivateShareRequest noTime = activation(w, "custodian-2", "custodian-2").setTtl(Duration.newBuilder().setSeconds(0)).build();
        StatusRuntimeException ttl = fails(Status.Code.INVALID_ARGUMENT, () -> custodians.activateShare(noTime));
        assertTrue(ttl.getStatus().getDescription().startsWith("ttl: "), ttl.getStatus().toString());
        assertEquals(5, audit.find(mark, "activation_rejected", w.getWarrantId()).size());
        assertEquals(1, audit.find(mark, "activation_expired", w.getWarrantId()).size());
        assertEquals(1, audit.find(mark, "activation_deactivated", w.getWarrantId()).size());
    }

    @Test
    void withoutActivations_theServiceCannotDecrypt_evenThroughInternalCodePaths() {
        String s = "consent-internal-" + UUID.randomUUID();
        DepositRequest d = sealed(s);
        DepositReceipt r = escrow.deposit(d);
        Warrant w = activeWarrant(s);
        assertTrue(serviceTokens.available().isEmpty(), "the service holds no custodian session of its own");
        CustodianAccess.Reservation reserved = access.reserve(w.getWarrantId(), key.getThreshold(), 1);
        assertEquals(0, reserved.records());
        assertThrows(InsufficientCustodiansException.class, () -> decryptor.open(keys.require(key.getKeyId()),
                reserved.tokens(), d.getEnc().toByteArray(),
                ("escrow/v1/deposit/" + key.getKeyId()).getBytes(StandardCharsets.UTF_8),
                (s + "\n1\n2").getBytes(StandardCharsets.UTF_8), d.getCiphertext().toByteArray()));
        // Without a custodian's credential the process cannot log in to a custodian token at all.
        assertThrows(HsmException.class, () -> Pkcs11ShareToken.open(new TokenConfig("custodian-1", TestTokens.LIBRARY,
                "custodian-1", PinSource.withheld())));
        assertTrue(r.getAuditIndex() >= 0);
    }

    /**
     * A page's releases are committed before its records are opened, so a consent that ends in
     * between (its warrant exhausted by that very page, revoked, or deactivated) must not log the
     * token out from under them: the reserved tokens stay usable until the page is finished.
     */
    @Test
    void reservedTokens_stayUsableUntilThePageFinishes_evenWhenTheirConsentsEnd() throws Exception {
        Warrant w = activeWarrant("consent-lease-" + UUID.randomUUID());
        custodians.activateShare(activation(w, "custodian-1", "custodian-1").setMaxUses(10).build());
        custodians.activateShare(activation(w, "custodian-3", "custodian-3").setMaxUses(10).build());
        CustodianAccess.Reservation page = access.reserve(w.getWarrantId(), 2, 1);
        assertEquals(List.of("custodian-1", "custodian-3"), page.custodianIds());
        for (String c : page.custodianIds()) {
            custodians.deactivateShare(DeactivateShareRequest.newBuilder().setCustodianId(c).setWarrantId(w.getWarrantId()).build());
        }
        io.escrow.threshold.KeyRecord k = keys.current().orElseThrow();
        for (io.escrow.threshold.ShareToken t : page.tokens()) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(io.escrow.threshold.P256.xBytes(
                    k.shareOf(t.custodianId()).orElseThrow().publicShare()), t.deriveX(k.keyId(), io.escrow.threshold.P256.G),
                    t.custodianId() + "'s token still answers for the reserved page");
        }
        access.finished(page);
        assertEquals(2, audit.find(mark, "activation_deactivated", w.getWarrantId()).size());
        fails(Status.Code.FAILED_PRECONDITION, () -> recover(w));
    }
}
