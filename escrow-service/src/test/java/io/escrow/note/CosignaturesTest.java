package io.escrow.note;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.List;
import org.junit.jupiter.api.Test;

class CosignaturesTest {
    private static final String SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    @Test
    void message_isTheSpecExample() {
        byte[] m = Cosignatures.message(1679315147L, SPEC_BODY.getBytes(StandardCharsets.UTF_8));

        assertEquals("cosignature/v1\ntime 1679315147\n" + SPEC_BODY, new String(m, StandardCharsets.UTF_8));
    }

    @Test
    void remoraCosignature_statesItsTime() {
        SignedNote note = SignedNote.parse(NoteVectors.bytes("arche2025h1.checkpoint"));
        VerifierKey remora = VerifierKey.parse(NoteVectors.line("remora.vkey"));
        NoteSignature sig = note.signatures().stream().filter(remora::matches).findFirst().orElseThrow();

        assertEquals(0x6a122120L, Cosignatures.time(sig));
        assertTrue(remora.verifies(note.textBytes(), sig));
    }

    /** A cosignature made with the JDK's own Ed25519 over the message built by hand verifies here. */
    @Test
    void verifies_jdkEd25519Cosignature() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] raw = io.escrow.testing.JdkEd25519.raw(kp.getPublic());
        VerifierKey key = VerifierKey.cosignature("witness.example/w1", raw);
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(kp.getPrivate());
        s.update(("cosignature/v1\ntime 1700000000\n" + SPEC_BODY).getBytes(StandardCharsets.UTF_8));
        NoteSignature sig = new NoteSignature("witness.example/w1", key.keyId(), Cosignatures.timestamped(1700000000L, s.sign()));

        SignedNote note = SignedNote.of(SPEC_BODY, List.of(sig));

        assertEquals(1, NoteVerifier.validCosigners(note, List.of(key)));
        assertEquals(0, NoteVerifier.validCosigners(SignedNote.of(SPEC_BODY.replace("2163", "2164"), List.of(sig)), List.of(key)));
    }

    @Test
    void timestamped_withWrongLength_fails() {
        assertThrows(NoteFormatException.class, () -> Cosignatures.timestamped(1, new byte[63]));
        assertThrows(NoteFormatException.class, () -> Cosignatures.message(-1, new byte[0]));
    }
}
