package io.escrow.witness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.merkle.MemoryNodes;
import io.escrow.merkle.MerkleTree;
import io.escrow.note.Checkpoint;
import io.escrow.note.NoteSignature;
import io.escrow.note.NoteVerifier;
import io.escrow.note.SignedNote;
import io.escrow.note.VerifierKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The add-checkpoint checks of c2sp.org/tlog-witness, each status from its cause, against a real state directory. */
class WitnessTest {
    static final String ORIGIN = "example.com/escrow-test-log";

    @TempDir
    Path dir;

    TestLogSigner log;
    KeyFileCosigner cosigner;
    WitnessState state;
    Witness witness;
    final MemoryNodes tree = new MemoryNodes();
    final List<Witness.Answer> seen = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        log = new TestLogSigner(ORIGIN);
        cosigner = KeyFileCosigner.generate("witness.example/w1", dir.resolve("witness.key"));
        state = WitnessState.open(dir.resolve("state"));
        witness = new Witness(cosigner, List.of(log.key()), state, Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC),
                seen::add);
    }

    @AfterEach
    void tearDown() throws IOException {
        state.close();
    }

    void grow(int leaves) {
        for (int i = 0; i < leaves; i++) {
            tree.appendLeaf(("leaf " + tree.size()).getBytes(StandardCharsets.UTF_8));
        }
    }

    byte[] request(long old, SignedNote note) {
        List<byte[]> proof = old == 0 ? List.of() : MerkleTree.consistencyProof(tree, old, Checkpoint.parse(note).size());
        return new AddCheckpointRequest(old, proof, note).encode();
    }

    @Test
    void addCheckpoint_fromZeroThenConsistent_cosignsEachWithAVerifiableCosignature() {
        grow(5);
        SignedNote first = log.sign(tree.size(), tree.root());
        Witness.Answer a = witness.addCheckpoint(request(0, first));
        assertEquals(200, a.status(), a.reason());
        grow(7);
        SignedNote second = log.sign(tree.size(), tree.root());
        Witness.Answer b = witness.addCheckpoint(request(5, second));
        assertEquals(200, b.status(), b.reason());

        SignedNote cosigned = second.withSignatures(List.of(NoteSignature.parseLine(new String(b.body(), StandardCharsets.UTF_8).strip())));
        assertEquals(1, NoteVerifier.validCosigners(cosigned, List.of(cosigner.verifierKey())));
        assertEquals(1_700_000_000L, io.escrow.note.Cosignatures.time(cosigned.signatures().get(1)));
        assertEquals(12, state.latest(ORIGIN).orElseThrow().checkpoint().size());
    }

    @Test
    void addCheckpoint_sameCheckpointAgain_cosignsAgain() {
        grow(3);
        SignedNote cp = log.sign(tree.size(), tree.root());
        assertEquals(200, witness.addCheckpoint(request(0, cp)).status());

        assertEquals(200, witness.addCheckpoint(new AddCheckpointRequest(3, List.of(), cp).encode()).status());
    }

    @Test
    void addCheckpoint_wrongOldSize_conflictsWithTheKnownSize() {
        grow(4);
        assertEquals(200, witness.addCheckpoint(request(0, log.sign(tree.size(), tree.root()))).status());
        grow(4);

        Witness.Answer a = witness.addCheckpoint(request(0, log.sign(tree.size(), tree.root())));

        assertEquals(409, a.status());
        assertEquals("text/x.tlog.size", a.contentType());
        assertEquals("4\n", new String(a.body(), StandardCharsets.US_ASCII));
    }

    @Test
    void addCheckpoint_rollbackToASmallerSize_isRefused() {
        grow(4);
        SignedNote small = log.sign(tree.size(), tree.root());
        grow(4);
        assertEquals(200, witness.addCheckpoint(request(0, log.sign(tree.size(), tree.root()))).status());

        assertEquals(400, witness.addCheckpoint(new AddCheckpointRequest(8, List.of(), small).encode()).status());
        assertEquals(409, witness.addCheckpoint(new AddCheckpointRequest(0, List.of(), small).encode()).status());
    }

    @Test
    void addCheckpoint_sameSizeOtherRoot_isASplitViewAndRefused() {
        grow(6);
        assertEquals(200, witness.addCheckpoint(request(0, log.sign(tree.size(), tree.root()))).status());
        byte[] otherRoot = tree.root().clone();
        otherRoot[0] ^= 1;

        Witness.Answer a = witness.addCheckpoint(new AddCheckpointRequest(6, List.of(), log.sign(6, otherRoot)).encode());

        assertEquals(409, a.status());
        assertTrue(a.reason().contains("split view"), a.reason());
    }

    @Test
    void addCheckpoint_forkedLog_failsTheConsistencyProof() {
        grow(6);
        assertEquals(200, witness.addCheckpoint(request(0, log.sign(tree.size(), tree.root()))).status());
        MemoryNodes fork = new MemoryNodes();
        for (int i = 0; i < 9; i++) {
            fork.appendLeaf((i == 2 ? "forged" : "leaf " + i).getBytes(StandardCharsets.UTF_8));
        }
        byte[] body = new AddCheckpointRequest(6, MerkleTree.consistencyProof(fork, 6, 9), log.sign(9, fork.root())).encode();

        Witness.Answer a = witness.addCheckpoint(body);

        assertEquals(422, a.status());
        assertEquals(6, state.latest(ORIGIN).orElseThrow().checkpoint().size(), "nothing inconsistent is stored");
    }

    @Test
    void addCheckpoint_proofFromZero_mustBeEmpty() {
        grow(2);
        byte[] body = new AddCheckpointRequest(0, List.of(new byte[32]), log.sign(tree.size(), tree.root())).encode();

        assertEquals(422, witness.addCheckpoint(body).status());
    }

    @Test
    void addCheckpoint_emptyTree_needsTheEmptyRoot() {
        assertEquals(200, witness.addCheckpoint(request(0, log.sign(0, new MemoryNodes().root()))).status());
        assertEquals(409, witness.addCheckpoint(request(0, log.sign(0, new byte[32]))).status());
    }

    @Test
    void addCheckpoint_unknownOrigin_is404() throws Exception {
        TestLogSigner other = new TestLogSigner("example.com/other");
        grow(1);

        assertEquals(404, witness.addCheckpoint(request(0, other.sign(tree.size(), tree.root()))).status());
    }

    @Test
    void addCheckpoint_untrustedOrBadSignature_is403() throws Exception {
        grow(2);
        TestLogSigner impostor = new TestLogSigner(ORIGIN);
        assertEquals(403, witness.addCheckpoint(request(0, impostor.sign(tree.size(), tree.root()))).status(), "another key, same name");
        String forged = new String(log.sign(tree.size(), tree.root()).encode(), StandardCharsets.UTF_8).replace("\n2\n", "\n3\n");
        assertEquals(403, witness.addCheckpoint(("old 0\n\n" + forged).getBytes(StandardCharsets.UTF_8)).status());
        assertTrue(seen.stream().allMatch(a -> a.status() == 403));
    }

    @Test
    void addCheckpoint_malformedBodies_are400() {
        grow(2);
        String note = new String(log.sign(tree.size(), tree.root()).encode(), StandardCharsets.UTF_8);
        for (String bad : List.of("", "old 0\n", "old x\n\n" + note, "old 01\n\n" + note, "old -1\n\n" + note, "new 0\n\n" + note,
                "old 0\nnot-base64!\n\n" + note, "old 0\nAAAA\n\n" + note, "old 0\n\n" + note.replace("\u2014", "-"),
                "old 0\n\nexample.com/escrow-test-log\n2\n")) {
            assertEquals(400, witness.addCheckpoint(bad.getBytes(StandardCharsets.UTF_8)).status(), bad);
        }
        // An invalid byte in the signature line's key name: decoded leniently it became U+FFFD, a
        // name of an unknown key (403); a note must be UTF-8, so it is malformed (400).
        String withMarker = "old 0\n\n" + note.substring(0, note.lastIndexOf("test-log")) + "#" + note.substring(note.lastIndexOf("test-log") + 1);
        byte[] notUtf8 = withMarker.getBytes(StandardCharsets.UTF_8);
        notUtf8[withMarker.lastIndexOf('#')] = (byte) 0xb1;
        assertEquals(400, witness.addCheckpoint(notUtf8).status(), "a note must be valid UTF-8, never decoded with replacements");
        StringBuilder tooLong = new StringBuilder("old 1\n");
        for (int i = 0; i < 64; i++) {
            tooLong.append("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
        }
        assertEquals(400, witness.addCheckpoint((tooLong + "\n" + note).getBytes(StandardCharsets.UTF_8)).status());
    }

    @Test
    void state_survivesReopening_andRefusesASecondProcess() throws IOException {
        grow(3);
        assertEquals(200, witness.addCheckpoint(request(0, log.sign(tree.size(), tree.root()))).status());
        assertThrows(IOException.class, () -> WitnessState.open(dir.resolve("state")), "one witness per state directory");
        state.close();

        state = WitnessState.open(dir.resolve("state"));
        assertEquals(3, state.latest(ORIGIN).orElseThrow().checkpoint().size());
    }

    @Test
    void keyFile_readableByOthers_isRefused() throws IOException {
        Path key = dir.resolve("witness.key");
        assertEquals(cosigner.verifierKey(), KeyFileCosigner.read(key).verifierKey());
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

        IOException e = assertThrows(IOException.class, () -> KeyFileCosigner.read(key));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
        assertThrows(IOException.class, () -> KeyFileCosigner.generate("w", key), "never overwrites a key");
    }

    @Test
    void witness_withACosignatureKeyAsLogKey_isRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new Witness(cosigner, List.of(cosigner.verifierKey()), state, Clock.systemUTC(), a -> {}));
    }

    /** A log key for tests: Ed25519 from random bytes, signing checkpoints as notes (type 0x01). */
    static final class TestLogSigner {
        final String origin;
        final byte[] seed = new byte[32];
        final byte[] pub = new byte[32];

        TestLogSigner(String origin) {
            this.origin = origin;
            new SecureRandom().nextBytes(seed);
            Ed25519.generatePublicKey(seed, 0, pub, 0);
        }

        VerifierKey key() {
            return VerifierKey.ed25519(origin, pub);
        }

        SignedNote sign(long size, byte[] root) {
            byte[] text = Checkpoint.of(origin, size, root).textBytes();
            byte[] sig = new byte[64];
            Ed25519.sign(seed, 0, text, 0, text.length, sig, 0);
            return SignedNote.of(new String(text, StandardCharsets.UTF_8), List.of(new NoteSignature(origin, key().keyId(), sig)));
        }
    }
}
