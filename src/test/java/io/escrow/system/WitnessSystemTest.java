package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.note.Checkpoint;
import io.escrow.note.Cosignatures;
import io.escrow.note.NoteSignature;
import io.escrow.note.SignedNote;
import io.escrow.note.VerifierKey;
import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.GetTreeHeadRequest;
import io.escrow.proto.v1.ListTreeHeadsRequest;
import io.escrow.proto.v1.SignedTreeHead;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The packaged service with a witness run by escrowctl witness serve, both started from outside:
 * the service's heads get cosigned (checked with the JDK's own Ed25519); a copy of its database
 * given a different leaf, signed by the same log key, is refused by the witness and rejected by
 * a verifier that requires the witness; and a witness killed with -9 still refuses a rollback.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WitnessSystemTest {
    private static Path dir;
    private static String witnessVkey;
    private static Path keyFile;
    private static int witnessPort;
    private static WitnessProcess witness;
    private static ServiceProcess service;
    private static List<String> logVkeys;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("escrow-witness-sys-");
        keyFile = dir.resolve("w1.key");
        var keygen = ServiceProcess.escrowctl(dir, "witness", "keygen", "--name", "witness.test/w1", "--key-file", keyFile.toString());
        assertEquals(0, keygen.exit(), keygen.output());
        witnessVkey = keygen.output().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
        witnessPort = WitnessProcess.freePort();
        service = ServiceProcess.start(dir.resolve("a"), dir.resolve("a.log"), witnessEnv());
        logVkeys = treeHead(service).getLogVkeysList();
        witness = WitnessProcess.start(witnessPort, keyFile, dir.resolve("witness-state"), logVkeys, dir.resolve("witness.log"));
    }

    private static Map<String, String> witnessEnv() {
        return Map.of("ESCROW_AUDIT_WITNESSES_W1_URL", "http://127.0.0.1:" + witnessPort,
                "ESCROW_AUDIT_WITNESSES_W1_KEY", witnessVkey);
    }

    @AfterAll
    static void stop() throws Exception {
        if (witness != null) {
            witness.close();
        }
        if (service != null) {
            service.close();
        }
    }

    private static SignedTreeHead treeHead(ServiceProcess s) {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", s.grpcPort).usePlaintext().build();
        try {
            return AuditServiceGrpc.newBlockingStub(ch).getTreeHead(GetTreeHeadRequest.getDefaultInstance());
        } finally {
            ch.shutdownNow();
        }
    }

    private static void deposit(ServiceProcess s, String id) throws Exception {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", s.grpcPort).usePlaintext().build();
        try {
            var escrow = EscrowServiceGrpc.newBlockingStub(ch);
            EscrowKey key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
            escrow.deposit(EmbeddedServiceSystemTest.sealed(key, id));
        } finally {
            ch.shutdownNow();
        }
    }

    /** The newest head of {@code s} once it is at least {@code size} and the witness cosigned it. */
    private static SignedTreeHead awaitCosigned(ServiceProcess s, long size) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (true) {
            SignedTreeHead h = treeHead(s);
            long at = Checkpoint.parse(h.getCheckpoint().toStringUtf8()).size();
            if (at >= size && cosignature(h) != null) {
                return h;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("the head of size " + at + " was not cosigned within 30 s:\n" + h.getNote().toStringUtf8()
                        + "\n" + s.logText());
            }
            Thread.sleep(200);
        }
    }

    private static NoteSignature cosignature(SignedTreeHead h) {
        VerifierKey w = VerifierKey.parse(witnessVkey);
        return SignedNote.parse(h.getNote().toByteArray()).signatures().stream().filter(w::matches).findFirst().orElse(null);
    }

    private static ServiceProcess.Result verify(ServiceProcess s, String state) throws Exception {
        return ServiceProcess.escrowctl(dir, "audit", "verify", "--target", "localhost:" + s.grpcPort, "--state",
                dir.resolve(state).toString(), "--witness", "w1=" + witnessVkey, "--witness-quorum", "1", "--witness-wait", "PT5S");
    }

    @Test
    @Order(1)
    void heads_areCosigned_andTheJdkVerifiesTheCosignature() throws Exception {
        for (int i = 0; i < 3; i++) {
            deposit(service, "witnessed-" + i);
        }
        SignedTreeHead h = awaitCosigned(service, 3);
        NoteSignature cosig = cosignature(h);
        byte[] raw = VerifierKey.parse(witnessVkey).publicKey();
        byte[] spki = new byte[44];
        System.arraycopy(new byte[] {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}, 0, spki, 0, 12);
        System.arraycopy(raw, 0, spki, 12, 32);
        Signature ed = Signature.getInstance("Ed25519");
        ed.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
        long time = Cosignatures.time(cosig);
        ed.update(("cosignature/v1\ntime " + time + "\n" + h.getCheckpoint().toStringUtf8()).getBytes(StandardCharsets.UTF_8));
        assertTrue(ed.verify(java.util.Arrays.copyOfRange(cosig.signature(), 8, 72)), "cosignature/v1 over the exact checkpoint");
        assertTrue(Math.abs(time - Instant.now().getEpochSecond()) < 120, "the cosignature states the time it was made");

        var ok = verify(service, "a.state");
        assertEquals(0, ok.exit(), ok.output());
    }

    @Test
    @Order(2)
    void forkedCopy_isRefusedByTheWitness_andRejectedByAQuorumVerifier() throws Exception {
        deposit(service, "before-copy");
        long size = Checkpoint.parse(awaitCosigned(service, 4).getCheckpoint().toStringUtf8()).size();
        service.close();
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Process cp = new ProcessBuilder("cp", "-a", a.toString(), b.toString()).inheritIO().start();
        assertEquals(0, cp.waitFor());
        service = ServiceProcess.start(a, dir.resolve("a.log"), witnessEnv());
        deposit(service, "only-in-a");
        long forkSize = Checkpoint.parse(awaitCosigned(service, size + 1).getCheckpoint().toStringUtf8()).size();

        try (ServiceProcess fork = ServiceProcess.start(b, dir.resolve("b.log"), witnessEnv())) {
            assertEquals(logVkeys, treeHead(fork).getLogVkeysList(), "the copy signs with the same log keys");
            deposit(fork, "only-in-b");
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!fork.logText().contains("split view") && Instant.now().isBefore(deadline)) {
                Thread.sleep(200);
            }
            assertTrue(fork.logText().contains("witness w1") && fork.logText().contains("split view"), fork.logText());
            SignedTreeHead forked = treeHead(fork);
            assertEquals(forkSize, Checkpoint.parse(forked.getCheckpoint().toStringUtf8()).size());
            assertEquals(null, cosignature(forked), "the witness never cosigned the fork");
            assertTrue(Files.readString(witness.log).contains("refused 409"), Files.readString(witness.log));

            var rejected = verify(fork, "b.state");
            assertEquals(1, rejected.exit(), rejected.output());
            assertTrue(rejected.output().contains("not witnessed"), rejected.output());
            var accepted = verify(service, "a.state");
            assertEquals(0, accepted.exit(), accepted.output());
            var followed = ServiceProcess.escrowctl(dir, "audit", "follow", "--once", "--target", "localhost:" + fork.grpcPort,
                    "--state", dir.resolve("b-follow.state").toString(), "--witness", witnessVkey, "--witness-quorum", "1",
                    "--witness-wait", "PT2S");
            assertEquals(1, followed.exit(), followed.output());
            assertTrue(followed.output().contains("not witnessed"), followed.output());
        }
    }

    @Test
    @Order(3)
    void witnessKilledHard_keepsItsState_andStillRefusesARollback() throws Exception {
        SignedTreeHead latest = awaitCosigned(service, 1);
        long cosigned = Checkpoint.parse(latest.getCheckpoint().toStringUtf8()).size();
        witness.killHard();
        witness = WitnessProcess.start(witnessPort, keyFile, dir.resolve("witness-state"), logVkeys, dir.resolve("witness.log"));

        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", service.grpcPort).usePlaintext().build();
        SignedTreeHead older;
        try {
            older = AuditServiceGrpc.newBlockingStub(ch).listTreeHeads(ListTreeHeadsRequest.getDefaultInstance()).next();
        } finally {
            ch.shutdownNow();
        }
        long olderSize = Checkpoint.parse(older.getCheckpoint().toStringUtf8()).size();
        assertTrue(olderSize < cosigned, olderSize + " < " + cosigned);
        byte[] fromZero = ("old 0\n\n" + older.getNote().toStringUtf8()).getBytes(StandardCharsets.UTF_8);
        var conflict = witness.addCheckpoint(fromZero);
        assertEquals(409, conflict.statusCode(), conflict.body());
        assertTrue(Long.parseLong(conflict.body().strip()) >= cosigned, "the witness remembers size " + cosigned + ": " + conflict.body());
        byte[] rollback = ("old " + conflict.body().strip() + "\n\n" + older.getNote().toStringUtf8()).getBytes(StandardCharsets.UTF_8);
        assertEquals(400, witness.addCheckpoint(rollback).statusCode(), "a smaller checkpoint than the one cosigned is refused");

        deposit(service, "after-witness-restart");
        awaitCosigned(service, cosigned + 1);
    }
}
