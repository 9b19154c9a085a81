package io.escrow.recovery;

import static io.escrow.testing.Warrants.ts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.proto.v1.ApproveWarrantRequest;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.GetWarrantRequest;
import io.escrow.proto.v1.RecoverRequest;
import io.escrow.proto.v1.RecoveredKey;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.proto.v1.RevokeWarrantRequest;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.proto.v1.WarrantSpec;
import io.escrow.storage.Database;
import io.escrow.testing.AuditProbe;
import io.escrow.testing.Deposits;
import io.escrow.testing.TestAuthorities;
import io.escrow.testing.Warrants;
import io.escrow.warrant.SignedBytes;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Recover through a real gRPC client: deposits sealed like a provider would, warrants signed like authorities would. */
@QuarkusTest
@QuarkusTestResource(TestAuthorities.class)
class RecoveryGrpcTest {
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

    @Inject
    Database db;

    @Inject
    io.escrow.audit.SubjectHasher subjects;

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static byte[] sha256(byte[] b) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private AuditProbe audit;
    private long mark;
    private EscrowKey key;
    /** record_id -> the session key deposited under it. */
    private final Map<String, byte[]> deposited = new HashMap<>();

    @BeforeEach
    void setUp() {
        audit = new AuditProbe(db);
        mark = audit.mark();
        key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
    }

    private DepositRequest sealed(String subject, long from, long until) {
        byte[] sessionKey = new byte[32];
        RANDOM.nextBytes(sessionKey);
        DepositRequest r = Deposits.sealed(key, subject, from, until, sessionKey);
        deposited.put(r.getProviderRecordId(), sessionKey);
        return r;
    }

    /** Deposits one record and remembers its session key under the returned record_id. */
    private String deposit(String subject, long from, long until) {
        DepositRequest r = sealed(subject, from, until);
        DepositReceipt receipt = escrow.deposit(r);
        deposited.put(receipt.getRecordId(), deposited.remove(r.getProviderRecordId()));
        return receipt.getRecordId();
    }

    /** Many deposits through DepositStream. */
    private void depositMany(String subject, int n) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<DepositRequest> out = EscrowServiceGrpc.newStub(channel).depositStream(new StreamObserver<>() {
            public void onNext(DepositReceipt r) {}
            public void onError(Throwable t) { done.completeExceptionally(t); }
            public void onCompleted() { done.complete(null); }
        });
        for (int i = 0; i < n; i++) {
            out.onNext(sealed(subject, 1000 + i, 2000 + i));
        }
        out.onCompleted();
        done.get(60, TimeUnit.SECONDS);
    }

    private Warrant activeWarrant(Hpke.KeyPair recipient, long from, long until, int max, String... subjects) {
        Warrant w = warrants.fileWarrant(FileWarrantRequest.newBuilder()
                .setSpec(Warrants.spec(recipient, from, until, max, subjects)).build());
        approve(w, "court");
        Warrant active = approve(w, "ministry");
        assertEquals(Warrant.WarrantState.ACTIVE, active.getState());
        return active;
    }

    private Warrant approve(Warrant w, String authority) {
        return warrants.approveWarrant(ApproveWarrantRequest.newBuilder().setWarrantId(w.getWarrantId())
                .setCmsSignature(Warrants.sign(w.getSignedBytes(), authority)).build());
    }

    private Warrant revoke(Warrant w) {
        return warrants.revokeWarrant(RevokeWarrantRequest.newBuilder().setWarrantId(w.getWarrantId())
                .setCmsSignature(Warrants.sign(SignedBytes.revocation(w.getWarrantId()), TestAuthorities.signer("court"))).build());
    }

    private List<RecoveredKey> recover(Warrant w, boolean onlyNew) {
        List<RecoveredKey> out = new ArrayList<>();
        recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).setOnlyNew(onlyNew).build())
                .forEachRemaining(out::add);
        return out;
    }

    private Warrant reread(Warrant w) {
        return warrants.getWarrant(GetWarrantRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
    }

    private static StatusRuntimeException fails(Status.Code code, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        return e;
    }

    private static byte[] open(Hpke.KeyPair recipient, Warrant w, RecoveredKey k) {
        return HPKE.openOrNull(recipient, k.getEnc().toByteArray(),
                ("escrow/v1/recovery/" + w.getWarrantId()).getBytes(StandardCharsets.UTF_8),
                k.getRecordId().getBytes(StandardCharsets.UTF_8), k.getSealedKey().toByteArray());
    }

    @Test
    void recover_releasesExactlyTheRecordsInScope_sealedToTheRecipient() {
        String alice = "alice-" + UUID.randomUUID();
        String bob = "bob-" + UUID.randomUUID();
        String inside1 = deposit(alice, 100, 200);
        String inside2 = deposit(alice, 250, 400);     // overlaps the end of the window
        deposit(alice, 500, 600);                      // after the window
        deposit(bob, 100, 200);                        // not a named subject
        Hpke.KeyPair recipient = Warrants.recipient();
        Warrant w = activeWarrant(recipient, 150, 300, 10, alice);

        List<RecoveredKey> keys = recover(w, false);
        assertEquals(List.of(inside1, inside2), keys.stream().map(RecoveredKey::getRecordId).toList());
        for (RecoveredKey k : keys) {
            assertEquals(alice, k.getSubjectId());
            assertArrayEquals(deposited.get(k.getRecordId()), open(recipient, w, k), "recipient opens the session key");
            assertTrue(open(Warrants.recipient(), w, k) == null, "no other key opens it");
            AuditProbe.Leaf leaf = audit.at(k.getAuditIndex());
            assertEquals("release", leaf.type());
            assertTrue(leaf.mentions(k.getRecordId()) && leaf.mentions(w.getWarrantId()));
            // An overseer checks each release against the warrant's scope: its subject hash and recipient key.
            assertTrue(contains(leaf.leaf(), subjects.hash(alice)), "release leaf carries the subject hash");
            assertTrue(contains(leaf.leaf(), sha256(recipient.publicKeyBytes())), "release leaf carries the recipient key hash");
        }
        assertEquals(2, reread(w).getRecordsReleased());
        assertEquals(1, audit.find(mark, "recovery_started", w.getWarrantId()).size());
        assertEquals(1, audit.find(mark, "recovery_ended", w.getWarrantId()).size());
    }

    /**
     * A record whose ciphertext does not open under the escrow key (a provider's corrupt deposit)
     * is audited as release_failed, and the stream's trailers say so: the contract's RecoveredKey
     * has no place for it.
     */
    @Test
    void recover_withARecordThatDoesNotOpen_auditsIt_andNamesItInTheTrailers() {
        String alice = "alice-" + UUID.randomUUID();
        String good = deposit(alice, 100, 200);
        DepositRequest corrupt = sealed(alice, 110, 210);
        byte[] flipped = corrupt.getCiphertext().toByteArray();
        flipped[0] ^= 1;
        String bad = escrow.deposit(corrupt.toBuilder().setCiphertext(com.google.protobuf.ByteString.copyFrom(flipped)).build()).getRecordId();
        Warrant w = activeWarrant(Warrants.recipient(), 0, 1000, 10, alice);

        var trailers = new java.util.concurrent.atomic.AtomicReference<io.grpc.Metadata>();
        var headers = new java.util.concurrent.atomic.AtomicReference<io.grpc.Metadata>();
        List<RecoveredKey> keys = new ArrayList<>();
        recovery.withInterceptors(io.grpc.stub.MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                .recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build()).forEachRemaining(keys::add);

        assertEquals(List.of(good), keys.stream().map(RecoveredKey::getRecordId).toList());
        assertEquals("1", trailers.get().get(io.escrow.transport.RecoveryTrailers.RELEASED));
        assertEquals("0", trailers.get().get(io.escrow.transport.RecoveryTrailers.RESENT));
        assertEquals("1", trailers.get().get(io.escrow.transport.RecoveryTrailers.FAILED));
        assertEquals(bad, trailers.get().get(io.escrow.transport.RecoveryTrailers.FAILED_RECORDS));
        assertEquals("complete", trailers.get().get(io.escrow.transport.RecoveryTrailers.OUTCOME));
        assertEquals(1, audit.find(mark, "release_failed", bad).size());
        // Its release leaf came first and it still counts: the custodians worked on it.
        assertEquals(1, audit.find(mark, "release", bad).size());
        assertEquals(2, reread(w).getRecordsReleased());

        // escrowctl recover open names it and counts it as failed (its exit status is then 1).
        var lines = new java.io.ByteArrayOutputStream();
        int[] counts = io.escrow.cli.RecoverCommand.openAll(channel, w.getWarrantId(), Warrants.recipient(), false,
                new java.io.PrintStream(lines, true, StandardCharsets.UTF_8));
        assertEquals(2, counts[1], lines.toString(StandardCharsets.UTF_8));
        assertTrue(lines.toString(StandardCharsets.UTF_8).contains(bad + "\t-\tFAILED: the service could not open it"),
                lines.toString(StandardCharsets.UTF_8));
    }

    @Test
    void recover_trailers_ofACompleteRecovery_sayNothingFailed() {
        String alice = "alice-" + UUID.randomUUID();
        deposit(alice, 100, 200);
        Warrant w = activeWarrant(Warrants.recipient(), 0, 1000, 10, alice);
        var trailers = new java.util.concurrent.atomic.AtomicReference<io.grpc.Metadata>();
        recovery.withInterceptors(io.grpc.stub.MetadataUtils.newCaptureMetadataInterceptor(new java.util.concurrent.atomic.AtomicReference<>(),
                trailers)).recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build()).forEachRemaining(k -> { });
        assertEquals("0", trailers.get().get(io.escrow.transport.RecoveryTrailers.FAILED));
        assertEquals(null, trailers.get().get(io.escrow.transport.RecoveryTrailers.FAILED_RECORDS));
        assertEquals("1", trailers.get().get(io.escrow.transport.RecoveryTrailers.RELEASED));
    }

    @Test
    void recover_beforePolicyIsMet_failsNamingTheMissingAuthority() {
        Warrant w = warrants.fileWarrant(FileWarrantRequest.newBuilder()
                .setSpec(Warrants.spec(Warrants.recipient(), 0, 10, 5, "x-" + UUID.randomUUID())).build());
        approve(w, "court");
        StatusRuntimeException e = fails(Status.Code.FAILED_PRECONDITION, () -> recover(w, false));
        assertTrue(e.getStatus().getDescription().contains("approvals missing from ministry"), e.getStatus().toString());
        assertEquals(1, audit.find(mark, "recovery_refused", w.getWarrantId()).size());
    }

    @Test
    void recover_afterRevocation_fails() {
        String s = "rev-" + UUID.randomUUID();
        deposit(s, 1, 2);
        Warrant w = activeWarrant(Warrants.recipient(), 0, 10, 5, s);
        revoke(w);
        StatusRuntimeException e = fails(Status.Code.FAILED_PRECONDITION, () -> recover(w, false));
        assertTrue(e.getStatus().getDescription().contains("REVOKED"), e.getStatus().toString());
        assertEquals(0, reread(w).getRecordsReleased());
        assertEquals(1, audit.find(mark, "recovery_refused", w.getWarrantId()).size());
    }

    @Test
    void recover_afterExpiry_fails() throws InterruptedException {
        String s = "exp-" + UUID.randomUUID();
        deposit(s, 1, 2);
        long now = Instant.now().getEpochSecond();
        WarrantSpec.Builder spec = Warrants.spec(Warrants.recipient(), 0, 10, 5, s).setNotBefore(ts(now - 10)).setNotAfter(ts(now + 2));
        Warrant w = warrants.fileWarrant(FileWarrantRequest.newBuilder().setSpec(spec).build());
        approve(w, "court");
        approve(w, "ministry");
        Thread.sleep(Duration.ofSeconds(now + 3 - Instant.now().getEpochSecond()).toMillis() + 100);
        StatusRuntimeException e = fails(Status.Code.FAILED_PRECONDITION, () -> recover(w, false));
        assertTrue(e.getStatus().getDescription().contains("EXPIRED"), e.getStatus().toString());
        assertEquals(Warrant.WarrantState.EXPIRED, reread(w).getState());
    }

    @Test
    void recover_neverReleasesMoreThanMaxRecords_thenExhausted() {
        String s = "cap-" + UUID.randomUUID();
        for (int i = 0; i < 3; i++) {
            deposit(s, 10 + i, 20);
        }
        Hpke.KeyPair recipient = Warrants.recipient();
        Warrant w = activeWarrant(recipient, 0, 100, 2, s);
        List<RecoveredKey> keys = recover(w, false);
        assertEquals(2, keys.size());
        Warrant after = reread(w);
        assertEquals(Warrant.WarrantState.EXHAUSTED, after.getState());
        assertEquals(2, after.getRecordsReleased());
        assertEquals(1, audit.find(mark, "warrant_exhausted", w.getWarrantId()).size());
        StatusRuntimeException e = fails(Status.Code.FAILED_PRECONDITION, () -> recover(w, false));
        assertTrue(e.getStatus().getDescription().contains("EXHAUSTED"), e.getStatus().toString());
    }

    @Test
    void recover_again_resendsEarlierReleasesWithoutCountingThem() {
        String s = "again-" + UUID.randomUUID();
        deposit(s, 1, 2);
        deposit(s, 3, 4);
        Hpke.KeyPair recipient = Warrants.recipient();
        Warrant w = activeWarrant(recipient, 0, 10, 3, s);
        List<RecoveredKey> first = recover(w, false);
        List<RecoveredKey> second = recover(w, false);
        assertEquals(first.stream().map(RecoveredKey::getRecordId).toList(), second.stream().map(RecoveredKey::getRecordId).toList());
        for (RecoveredKey k : second) {
            assertArrayEquals(deposited.get(k.getRecordId()), open(recipient, w, k));
            assertEquals("re-release", audit.at(k.getAuditIndex()).type());
        }
        assertEquals(2, reread(w).getRecordsReleased());
        assertEquals(0, recover(w, true).size(), "only_new skips what was released");
        String third = deposit(s, 5, 6);
        assertEquals(List.of(third), recover(w, true).stream().map(RecoveredKey::getRecordId).toList());
        assertEquals(Warrant.WarrantState.EXHAUSTED, reread(w).getState());
    }

    @Test
    void recover_onlyNew_pagesPastMoreThanAPageOfEarlierReleases() throws Exception {
        String s = "paging-" + UUID.randomUUID();
        depositMany(s, RecoveryService.PAGE + 6);
        Warrant w = activeWarrant(Warrants.recipient(), 0, 10_000, 1000, s);
        assertEquals(RecoveryService.PAGE + 6, recover(w, false).size());
        depositMany(s, 5);
        List<RecoveredKey> fresh = recover(w, true);
        assertEquals(5, fresh.size());
        assertEquals(RecoveryService.PAGE + 11, reread(w).getRecordsReleased());
        assertEquals(RecoveryService.PAGE + 11, recover(w, false).size(), "a full re-send covers every release");
    }

    @Test
    void revocation_stopsARunningRecovery() throws Exception {
        String s = "running-" + UUID.randomUUID();
        depositMany(s, 1500);
        Warrant w = activeWarrant(Warrants.recipient(), 0, 10_000, 100_000, s);
        Iterator<RecoveredKey> stream = recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
        List<RecoveredKey> received = new ArrayList<>();
        received.add(stream.next());
        revoke(w);
        long revokedAt = audit.find(mark, "warrant_revoked", w.getWarrantId()).get(0).index();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stream.forEachRemaining(received::add));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(received.size() < 1500, "stopped early: " + received.size());
        assertEquals(received.size(), reread(w).getRecordsReleased());
        for (RecoveredKey k : received) {
            assertTrue(k.getAuditIndex() < revokedAt, "released after revocation: " + k.getAuditIndex() + " > " + revokedAt);
        }
        AuditProbe.Leaf end = audit.find(mark, "recovery_ended", w.getWarrantId()).get(0);
        assertTrue(end.mentions("REVOKED"), "the end leaf says why");
    }

    @Test
    void recover_unknownWarrant_isNotFound() {
        fails(Status.Code.NOT_FOUND, () -> recover(Warrant.newBuilder().setWarrantId("w-00000000-0000-0000-0000-000000000000").build(), false));
        assertNotNull(audit.find(mark, "recovery_refused", "w-00000000-0000-0000-0000-000000000000").get(0));
    }
}
