package io.escrow.witness;

import io.escrow.note.NoteFormatException;
import io.escrow.note.SignedNote;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The body of a tlog-witness {@code add-checkpoint} request: {@code old <size>}, up to 63 base64
 * consistency-proof hashes, an empty line, then the signed checkpoint note.
 */
public record AddCheckpointRequest(long oldSize, List<byte[]> proof, SignedNote checkpoint) {
    public static final int MAX_PROOF_LINES = 63;

    public AddCheckpointRequest {
        if (oldSize < 0) {
            throw new NoteFormatException("the old size cannot be negative");
        }
        if (proof.size() > MAX_PROOF_LINES) {
            throw new NoteFormatException("a consistency proof has at most " + MAX_PROOF_LINES + " hashes");
        }
        proof = List.copyOf(proof);
    }

    public static AddCheckpointRequest parse(byte[] body) {
        // Strictly: a lenient decode would turn invalid bytes into U+FFFD, and the note into valid UTF-8 (found by fuzzing).
        String text = SignedNote.decodeUtf8(body);
        int blank = text.indexOf("\n\n");
        if (blank < 0) {
            throw new NoteFormatException("the request needs an empty line between the old size and proof and the checkpoint");
        }
        String[] head = text.substring(0, blank).split("\n", -1);
        if (!head[0].matches("old (0|[1-9][0-9]{0,18})")) {
            throw new NoteFormatException("the request must start with 'old <size>' in decimal without leading zeroes");
        }
        long old;
        try {
            old = Long.parseLong(head[0].substring(4));
        } catch (NumberFormatException e) {
            throw new NoteFormatException("the old size is too large");
        }
        if (head.length - 1 > MAX_PROOF_LINES) {
            throw new NoteFormatException("a consistency proof has at most " + MAX_PROOF_LINES + " hashes");
        }
        List<byte[]> proof = new ArrayList<>();
        for (int i = 1; i < head.length; i++) {
            byte[] h = io.escrow.note.NoteSignature.canonicalBase64(head[i], "consistency proof line " + i);
            if (h.length != 32) {
                throw new NoteFormatException("consistency proof line " + i + " is not a 32-byte hash");
            }
            proof.add(h);
        }
        byte[] note = text.substring(blank + 2).getBytes(StandardCharsets.UTF_8);
        return new AddCheckpointRequest(old, proof, SignedNote.parse(note));
    }

    public byte[] encode() {
        StringBuilder b = new StringBuilder("old ").append(oldSize).append('\n');
        proof.forEach(h -> b.append(Base64.getEncoder().encodeToString(h)).append('\n'));
        b.append('\n');
        byte[] head = b.toString().getBytes(StandardCharsets.UTF_8);
        byte[] note = checkpoint.encode();
        byte[] out = new byte[head.length + note.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(note, 0, out, head.length, note.length);
        return out;
    }
}
