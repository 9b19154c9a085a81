package io.escrow.note;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** The Ed25519 cosignature format of c2sp.org/tlog-cosignature (signature type 0x04). */
public final class Cosignatures {
    private Cosignatures() {}

    /** The signed message: {@code cosignature/v1\ntime <t>\n} then the checkpoint text. */
    public static byte[] message(long time, byte[] checkpointText) {
        if (time < 0) {
            throw new NoteFormatException("a cosignature time must be between 0 and 2^63-1");
        }
        byte[] header = ("cosignature/v1\ntime " + time + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] m = new byte[header.length + checkpointText.length];
        System.arraycopy(header, 0, m, 0, header.length);
        System.arraycopy(checkpointText, 0, m, header.length, checkpointText.length);
        return m;
    }

    /** The signature bytes of a cosignature line: the timestamp, then the Ed25519 signature. */
    public static byte[] timestamped(long time, byte[] ed25519Signature) {
        if (ed25519Signature.length != 64) {
            throw new NoteFormatException("an Ed25519 signature has 64 bytes");
        }
        return ByteBuffer.allocate(72).putLong(time).put(ed25519Signature).array();
    }

    /** The time a cosignature states, in seconds since the epoch. */
    public static long time(NoteSignature cosignature) {
        byte[] s = cosignature.signature();
        if (s.length != 72) {
            throw new NoteFormatException("an Ed25519 cosignature has 72 bytes");
        }
        return ByteBuffer.wrap(s, 0, 8).getLong();
    }
}
