package io.escrow.note;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CheckpointTest {

    @Test
    void publicCheckpoint_verifiesWithItsLogKeyAndFourWitnesses() {
        SignedNote note = SignedNote.parse(NoteVectors.bytes("arche2025h1.checkpoint"));
        VerifierKey log = VerifierKey.parse(NoteVectors.line("arche2025h1.vkey"));
        List<VerifierKey> witnesses = new ArrayList<>();
        new String(NoteVectors.bytes("witnesses.vkeys"), StandardCharsets.UTF_8).lines().map(VerifierKey::parse).forEach(witnesses::add);

        Checkpoint cp = Checkpoint.parse(note);

        assertEquals("arche2025h1.staging.ct.transparency.dev", cp.origin());
        assertEquals(1432088532L, cp.size());
        assertEquals(Set.of(log), NoteVerifier.signers(note, List.of(log)));
        assertEquals(4, NoteVerifier.validCosigners(note, witnesses));
        assertEquals(0, NoteVerifier.validCosigners(note, List.of(log)), "a log signature is not a cosignature");
    }

    @Test
    void publicCheckpoint_withAnotherSize_failsEverySignature() {
        String text = new String(NoteVectors.bytes("arche2025h1.checkpoint"), StandardCharsets.UTF_8).replace("\n1432088532\n", "\n42\n");
        SignedNote note = SignedNote.parse(text.getBytes(StandardCharsets.UTF_8));
        VerifierKey remora = VerifierKey.parse(NoteVectors.line("remora.vkey"));

        assertEquals(0, NoteVerifier.validCosigners(note, List.of(remora)));
        assertThrows(NoteVerifier.BadSignatureException.class,
                () -> NoteVerifier.signers(note, List.of(VerifierKey.parse(NoteVectors.line("arche2025h1.vkey")))));
    }

    @Test
    void text_roundTrips() {
        Checkpoint cp = new Checkpoint("example.com/log", 12, new byte[32], List.of("ext"));

        assertEquals("example.com/log\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next\n", cp.text());
        assertEquals(cp, Checkpoint.parse(cp.text()));
    }

    @Test
    void parse_malformedCheckpoints_fail() {
        String root = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        for (String bad : List.of("o\n1\n", "o\n01\n" + root + "\n", "o\n-1\n" + root + "\n", "o\n1\nAAAA\n",
                "o\n1\n" + root + "\n\n", "\n1\n" + root + "\n", "o\n1\n" + root, "o\n99999999999999999999\n" + root + "\n",
                "o\n1\n%%%%\n", "o\n1\n" + root.substring(0, 43) + "\n")) { // the last: the root without its padding
            assertThrows(NoteFormatException.class, () -> Checkpoint.parse(bad), bad);
        }
    }
}
