package io.escrow.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.hpke.Hpke;
import io.escrow.proto.v1.ApproveWarrantRequest;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.RecoverRequest;
import io.escrow.proto.v1.RecoveredKey;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.storage.Database;
import io.escrow.testing.AuditProbe;
import io.escrow.testing.Deposits;
import io.escrow.testing.TestAuthorities;
import io.escrow.testing.Warrants;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Someone who can write to PostgreSQL but holds no authority key tampers with a warrant after
 * real approvals. The service re-verifies the stored evidence before any release: each case is
 * refused with FAILED_PRECONDITION, audited as {@code evidence_mismatch}, and releases nothing.
 */
@QuarkusTest
@QuarkusTestResource(TestAuthorities.class)
class EvidenceTamperingTest {
    private static final SecureRandom RANDOM = new SecureRandom();

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

    private AuditProbe audit;
    private long mark;
    private EscrowKey key;

    @BeforeEach
    void setUp() {
        audit = new AuditProbe(db);
        mark = audit.mark();
        key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
    }

    private DepositRequest sealed(String subject, long from, long until) {
        byte[] sessionKey = new byte[32];
        RANDOM.nextBytes(sessionKey);
        return Deposits.sealed(key, subject, from, until, sessionKey);
    }

    private DepositReceipt deposit(String subject, long from, long until) {
        return escrow.deposit(sealed(subject, from, until));
    }

    private Warrant file(long from, long until, int max, String subject) {
        return warrants.fileWarrant(FileWarrantRequest.newBuilder()
                .setSpec(Warrants.spec(Warrants.recipient(), from, until, max, subject)).build());
    }

    private Warrant approve(Warrant w, String authority) {
        return warrants.approveWarrant(ApproveWarrantRequest.newBuilder().setWarrantId(w.getWarrantId())
                .setCmsSignature(Warrants.sign(w.getSignedBytes(), authority)).build());
    }

    private Warrant active(long from, long until, int max, String subject) {
        Warrant w = file(from, until, max, subject);
        approve(w, "court");
        return approve(w, "ministry");
    }

    private void sql(String statement, Object... args) {
        db.inTransaction("tampering", c -> {
            try (var ps = c.prepareStatement(statement)) {
                for (int i = 0; i < args.length; i++) {
                    ps.setObject(i + 1, args[i]);
                }
                return ps.executeUpdate();
            }
        });
    }

    private List<RecoveredKey> recover(Warrant w) {
        List<RecoveredKey> out = new ArrayList<>();
        recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build()).forEachRemaining(out::add);
        return out;
    }

    /** Recover is refused, nothing is sent, and the mismatch is in the log naming what changed. */
    private void refusedNaming(Warrant w, String what) {
        List<RecoveredKey> received = new ArrayList<>();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> recovery.recover(
                RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build()).forEachRemaining(received::add));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(what), e.getStatus().toString());
        assertEquals(List.of(), received);
        List<AuditProbe.Leaf> mismatch = audit.find(mark, "evidence_mismatch", w.getWarrantId());
        assertEquals(1, mismatch.size());
        assertTrue(mismatch.get(0).mentions(what), "the leaf names " + what);
        assertEquals(0, audit.find(mark, "release", w.getWarrantId()).size());
    }

    @Test
    void recover_afterRecipientKeySwappedInTheDatabase_isRefused() {
        String s = "tamper-recipient-" + UUID.randomUUID();
        deposit(s, 1, 2);
        Warrant w = active(0, 10, 5, s);
        Hpke.KeyPair insider = Warrants.recipient();
        sql("update warrants set recipient_public_key = ? where warrant_id = ?", insider.publicKeyBytes(), w.getWarrantId());
        refusedNaming(w, "recipient_public_key");
    }

    @Test
    void recover_afterSubjectAddedInTheDatabase_isRefused() {
        String s = "tamper-subject-" + UUID.randomUUID();
        String victim = "victim-" + UUID.randomUUID();
        deposit(victim, 1, 2);
        Warrant w = active(0, 10, 5, s);
        sql("update warrants set subject_ids = array_append(subject_ids, ?) where warrant_id = ?", victim, w.getWarrantId());
        refusedNaming(w, "subject_id");
    }

    @Test
    void recover_afterMaxRecordsRaisedInTheDatabase_isRefused() {
        String s = "tamper-cap-" + UUID.randomUUID();
        deposit(s, 1, 2);
        Warrant w = active(0, 10, 1, s);
        sql("update warrants set max_records = 1000 where warrant_id = ?", w.getWarrantId());
        refusedNaming(w, "max_records");
    }

    @Test
    void recover_afterCoversWindowWidenedInTheDatabase_isRefused() {
        String s = "tamper-window-" + UUID.randomUUID();
        deposit(s, 50, 60);
        Warrant w = active(0, 10, 5, s);
        sql("update warrants set covers_until = 100 where warrant_id = ?", w.getWarrantId());
        refusedNaming(w, "covers_until");
    }

    /** Only the court signed; its approval row copied as the ministry's must not count as the ministry's. */
    @Test
    void recover_withACopiedApprovalRowUnderAnotherAuthority_isRefused() {
        String s = "tamper-approval-" + UUID.randomUUID();
        deposit(s, 1, 2);
        Warrant w = file(0, 10, 5, s);
        approve(w, "court");
        sql("insert into warrant_approvals (warrant_id, authority, signer, signing_time, approved_at, cms_signature, audit_index) "
                + "select warrant_id, 'ministry', signer, signing_time, approved_at, cms_signature, audit_index "
                + "from warrant_approvals where warrant_id = ? and authority = 'court'", w.getWarrantId());
        assertEquals(Warrant.WarrantState.ACTIVE, warrants.getWarrant(io.escrow.proto.v1.GetWarrantRequest.newBuilder()
                .setWarrantId(w.getWarrantId()).build()).getState(), "the forged row makes the warrant look active");
        refusedNaming(w, "does not verify as ministry");
    }

    @Test
    void recover_afterReleaseRowsDeletedInTheDatabase_isRefused() {
        String s = "tamper-releases-" + UUID.randomUUID();
        deposit(s, 1, 2);
        deposit(s, 3, 4);
        Warrant w = active(0, 10, 3, s);
        assertEquals(2, recover(w).size());
        mark = audit.mark();
        sql("delete from warrant_releases where warrant_id = ?", w.getWarrantId());
        refusedNaming(w, "records_released is 2 but 0 releases are recorded");
    }

    /** A change made while a recovery runs stops it at the next page, before anything more is released. */
    @Test
    void recover_whenTheRecipientKeyIsSwappedMidway_stopsAtTheNextPage() throws Exception {
        String s = "tamper-midway-" + UUID.randomUUID();
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<DepositRequest> out = EscrowServiceGrpc.newStub(channel).depositStream(new StreamObserver<>() {
            public void onNext(DepositReceipt r) {}
            public void onError(Throwable t) { done.completeExceptionally(t); }
            public void onCompleted() { done.complete(null); }
        });
        for (int i = 0; i < 1500; i++) {
            out.onNext(sealed(s, 1000 + i, 2000 + i));
        }
        out.onCompleted();
        done.get(60, TimeUnit.SECONDS);
        Warrant w = active(0, 10_000, 100_000, s);
        Iterator<RecoveredKey> stream = recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
        List<RecoveredKey> received = new ArrayList<>();
        received.add(stream.next());
        sql("update warrants set recipient_public_key = ? where warrant_id = ?", Warrants.recipient().publicKeyBytes(),
                w.getWarrantId());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stream.forEachRemaining(received::add));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains("recipient_public_key"), e.getStatus().toString());
        assertTrue(received.size() < 1500, "stopped early: " + received.size());
        long mismatchAt = audit.find(mark, "evidence_mismatch", w.getWarrantId()).get(0).index();
        for (RecoveredKey k : received) {
            assertTrue(k.getAuditIndex() < mismatchAt, "released after the change: " + k.getAuditIndex());
        }
    }
}
