package io.escrow.note;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * One signature line of a C2SP signed note: {@code — <key name> base64(key ID || signature)}.
 * {@code signature} excludes the four key-ID bytes.
 */
public record NoteSignature(String keyName, int keyId, byte[] signature) {
    static final String DASH = "\u2014 ";

    public NoteSignature {
        VerifierKey.checkName(keyName);
        if (signature.length == 0) {
            throw new NoteFormatException("a note signature has no signature bytes after its key ID");
        }
        signature = signature.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** The line as it appears in a note, ending in a newline. */
    public String line() {
        byte[] blob = ByteBuffer.allocate(4 + signature.length).putInt(keyId).put(signature).array();
        return DASH + keyName + " " + Base64.getEncoder().encodeToString(blob) + "\n";
    }

    /** Parses one line without its final newline. */
    public static NoteSignature parseLine(String line) {
        if (!line.startsWith(DASH)) {
            throw new NoteFormatException("a signature line must start with an em dash and a space");
        }
        String rest = line.substring(DASH.length());
        int space = rest.lastIndexOf(' ');
        if (space <= 0) {
            throw new NoteFormatException("a signature line must be '— <name> <base64>'");
        }
        String name = rest.substring(0, space);
        byte[] blob = canonicalBase64(rest.substring(space + 1), "the signature of '" + name + "'");
        if (blob.length < 5) {
            throw new NoteFormatException("the signature of '" + name + "' is shorter than a key ID and one byte");
        }
        return new NoteSignature(name, ByteBuffer.wrap(blob).getInt(), Arrays.copyOfRange(blob, 4, blob.length));
    }

    /**
     * Decodes standard base64 with padding, refusing any other spelling of the same bytes (Java's
     * decoder also takes unpadded input): one note has one encoding, as Go's decoder requires.
     */
    public static byte[] canonicalBase64(String text, String what) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new NoteFormatException(what + " is not base64");
        }
        if (!Base64.getEncoder().encodeToString(bytes).equals(text)) {
            throw new NoteFormatException(what + " is not canonical padded base64");
        }
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NoteSignature s && s.keyName.equals(keyName) && s.keyId == keyId
                && Arrays.equals(s.signature, signature);
    }

    @Override
    public int hashCode() {
        return keyName.hashCode() * 31 + keyId;
    }

    @Override
    public String toString() {
        return "NoteSignature[" + keyName + String.format(" %08x", keyId) + "]";
    }
}
