package io.escrow.witness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.note.NoteVerifier;
import io.escrow.note.SignedNote;
import io.escrow.note.VerifierKey;
import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.GetTreeHeadRequest;
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
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * With escrow.audit.witness-quorum=1, keys leave only under a head the witness cosigned: with the
 * witness up, Recover sends them and the head's note carries the cosignature; with it down,
 * Recover commits the releases, sends nothing and ends UNAVAILABLE; once it is back, Recover
 * sends them.
 */
@QuarkusTest
@TestProfile(WitnessProfile.class)
@QuarkusTestResource(TestAuthorities.class)
class WitnessedRecoveryGrpcTest {
    @GrpcClient("escrow")
    EscrowServiceGrpc.EscrowServiceBlockingStub escrow;

    @GrpcClient("escrow")
    WarrantServiceGrpc.WarrantServiceBlockingStub warrants;

    @GrpcClient("escrow")
    RecoveryServiceGrpc.RecoveryServiceBlockingStub recovery;

    @GrpcClient("escrow")
    AuditServiceGrpc.AuditServiceBlockingStub audit;

    @Inject
    Database db;

    private WitnessState state;
    private WitnessHttp http;

    private void startWitness() throws Exception {
        List<VerifierKey> logKeys = audit.getTreeHead(GetTreeHeadRequest.getDefaultInstance()).getLogVkeysList().stream()
                .map(VerifierKey::parse).toList();
        state = WitnessState.open(WitnessProfile.DIR.resolve("state"));
        KeyFileCosigner key = KeyFileCosigner.read(WitnessProfile.KEY_FILE);
        http = WitnessHttp.start(new InetSocketAddress("127.0.0.1", WitnessProfile.PORT), "/w1",
                o -> new Witness(key, logKeys, state, Clock.systemUTC(), o), System.err);
    }

    private void stopWitness() throws Exception {
        if (http != null) {
            http.close();
            state.close();
            http = null;
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        stopWitness();
    }

    private void deposit(EscrowKey key, String subject) {
        escrow.deposit(Deposits.sealed(key, subject, 150, 160, new byte[32]));
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(100);
        return true;
    }

    @Test
    void recover_waitsForTheWitness_andEndsUnavailableWithoutIt() throws Exception {
        startWitness();
        EscrowKey key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        String subject = "witnessed-" + UUID.randomUUID();
        deposit(key, subject);
        deposit(key, subject);
        Warrant w = Warrants.fileApproved(warrants, Warrants.spec(Warrants.recipient(), 100, 300, 10, subject));

        List<RecoveredKey> first = new ArrayList<>();
        recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build()).forEachRemaining(first::add);
        assertEquals(2, first.size());
        // The recovery's end is logged after its keys; the head covering that is cosigned a moment later.
        Instant until = Instant.now().plusSeconds(10);
        SignedNote note;
        do {
            note = SignedNote.parse(audit.getTreeHead(GetTreeHeadRequest.getDefaultInstance()).getNote().toByteArray());
        } while (NoteVerifier.validCosigners(note, List.of(VerifierKey.parse(WitnessProfile.VKEY))) == 0 && Instant.now().isBefore(until)
                && sleep());
        assertEquals(1, NoteVerifier.validCosigners(note, List.of(VerifierKey.parse(WitnessProfile.VKEY))),
                "the newest head carries the witness's cosignature:\n" + note);

        stopWitness();
        deposit(key, subject);
        AuditProbe probe = new AuditProbe(db);
        long mark = probe.mark();
        List<RecoveredKey> received = new ArrayList<>();
        Instant started = Instant.now();
        Iterator<RecoveredKey> it = recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> it.forEachRemaining(received::add));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains("witness"), e.getStatus().getDescription());
        assertEquals(List.of(), received, "no key leaves before its release is witnessed");
        assertTrue(Duration.between(started, Instant.now()).toMillis() >= 2_500, "it waited for the witness-timeout");
        // Two records re-released and the new one released: all committed, none sent.
        assertEquals(3, probe.since(mark).stream().filter(l -> l.type().equals(io.escrow.audit.AuditLeaves.RELEASE)
                || l.type().equals(io.escrow.audit.AuditLeaves.RE_RELEASE)).count(), "the releases stay committed");

        startWitness();
        List<RecoveredKey> again = new ArrayList<>();
        recovery.recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build()).forEachRemaining(again::add);
        assertEquals(3, again.size(), "the releases are sent once the witness is back");
    }
}
