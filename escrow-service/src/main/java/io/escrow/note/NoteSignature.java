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
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(rest.substring(space + 1).getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new NoteFormatException("the signature of '" + name + "' is not base64");
        }
        if (blob.length < 5) {
            throw new NoteFormatException("the signature of '" + name + "' is shorter than a key ID and one byte");
        }
        return new NoteSignature(name, ByteBuffer.wrap(blob).getInt(), Arrays.copyOfRange(blob, 4, blob.length));
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
