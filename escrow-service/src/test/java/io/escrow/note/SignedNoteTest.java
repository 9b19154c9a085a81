package io.escrow.note;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SignedNoteTest {

    @Test
    void parse_goSumdbExample_verifiesWithItsVkey() {
        byte[] bytes = NoteVectors.bytes("peter-neumann.note");
        SignedNote note = SignedNote.parse(bytes);
        VerifierKey key = VerifierKey.parse(NoteVectors.line("peter-neumann.vkey"));

        assertEquals(0xc74f20a3, key.keyId());
        assertEquals("If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
                note.text());
        assertEquals(Set.of(key), NoteVerifier.signers(note, List.of(key)));
        assertArrayEquals(bytes, note.encode(), "encoding a parsed note gives back its bytes");
    }

    @Test
    void signers_withTamperedText_rejectsTheNote() {
        String tampered = new String(NoteVectors.bytes("peter-neumann.note"), StandardCharsets.UTF_8).replace("problem,", "problem;");
        VerifierKey key = VerifierKey.parse(NoteVectors.line("peter-neumann.vkey"));

        assertThrows(NoteVerifier.BadSignatureException.class,
                () -> NoteVerifier.signers(SignedNote.parse(tampered.getBytes(StandardCharsets.UTF_8)), List.of(key)));
    }

    @Test
    void signers_ignoresUnknownKeys() {
        SignedNote note = SignedNote.parse(NoteVectors.bytes("peter-neumann.note"));
        VerifierKey other = VerifierKey.parse(NoteVectors.line("remora.vkey"));

        assertEquals(Set.of(), NoteVerifier.signers(note, List.of(other)));
    }

    @Test
    void parse_textMayContainBlankLines_splitsAtTheLastOne() {
        SignedNote note = SignedNote.parse("a\n\nb\n\n\u2014 k AAAAAAE=\n".getBytes(StandardCharsets.UTF_8));

        assertEquals("a\n\nb\n", note.text());
        assertEquals(1, note.signatures().size());
    }

    @Test
    void parse_malformedNotes_fail() {
        for (String bad : List.of(
                "no blank line\n\u2014 k AAAAAAE=\n",
                "text\n\n",
                "text\n\n\u2014 k AAAAAAE=",
                "text\n\n- k AAAAAAE=\n",
                "text\n\n\u2014 k\n",
                "text\n\n\u2014  AAAAAAE=\n",
                "text\n\n\u2014 k+1 AAAAAAE=\n",
                "text\n\n\u2014 k AAAA\n",
                "text\n\n\u2014 k not*base64\n",
                "te\txt\n\n\u2014 k AAAAAAE=\n",
                "text\n\n\u2014 k AAAAAAE\n")) { // the last: unpadded base64, another spelling of AAAAAAE=
            assertThrows(NoteFormatException.class, () -> SignedNote.parse(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
        assertThrows(NoteFormatException.class, () -> SignedNote.parse(new byte[] {'a', '\n', '\n', (byte) 0xff, '\n'}));
    }

    @Test
    void parse_tooManySignatures_fails() {
        StringBuilder b = new StringBuilder("text\n\n");
        for (int i = 0; i <= SignedNote.MAX_SIGNATURES; i++) {
            b.append("\u2014 k").append(i).append(" AAAAAAE=\n");
        }
        assertThrows(NoteFormatException.class, () -> SignedNote.parse(b.toString().getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void withSignatures_skipsSignaturesAlreadyPresent() {
        SignedNote note = SignedNote.parse(NoteVectors.bytes("peter-neumann.note"));
        NoteSignature extra = new NoteSignature("other", 7, new byte[] {1, 2});

        SignedNote more = note.withSignatures(List.of(note.signatures().get(0), extra, extra));

        assertEquals(2, more.signatures().size());
        assertEquals(extra, SignedNote.parse(more.encode()).signatures().get(1));
    }
}
