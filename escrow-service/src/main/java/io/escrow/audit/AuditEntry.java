package io.escrow.audit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One audit event and its canonical leaf encoding: the exact bytes that are hashed as the RFC
 * 9162 Merkle leaf. Version 1, all integers big-endian:
 *
 * <pre>
 * leaf   = "EAL" 0x01 str(type) u64(time in microseconds since the epoch) str(actor)
 *          u16(field count) { str(name) bytes(value) }   -- names strictly ascending
 * str(s) = u16(length) UTF-8 bytes
 * bytes  = u32(length) raw bytes
 * </pre>
 *
 * Leaves never carry secrets or key material; subjects appear only as salted hashes.
 */
public record AuditEntry(String type, Instant time, String actor, SortedMap<String, byte[]> fields) {
    private static final byte[] MAGIC = {'E', 'A', 'L', 0x01};

    public AuditEntry {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(actor, "actor");
        // The leaf encodes microseconds and PostgreSQL stores them (rounding); truncating here
        // makes the logged_at column and the leaf agree exactly.
        time = time.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        fields = new TreeMap<>(fields);
    }

    /** Builds an entry from name/value pairs; string values are encoded as UTF-8. */
    public static AuditEntry of(String type, Instant time, String actor, Map<String, ?> values) {
        SortedMap<String, byte[]> f = new TreeMap<>();
        values.forEach((k, v) -> f.put(k, v instanceof byte[] b ? b.clone() : String.valueOf(v).getBytes(StandardCharsets.UTF_8)));
        return new AuditEntry(type, time, actor, f);
    }

    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        out.writeBytes(MAGIC);
        str(out, type);
        long micros = Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000L), time.getNano() / 1_000);
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (micros >>> shift));
        }
        str(out, actor);
        u16(out, fields.size());
        for (Map.Entry<String, byte[]> e : fields.entrySet()) {
            str(out, e.getKey());
            byte[] v = e.getValue();
            out.write(v.length >>> 24);
            out.write(v.length >>> 16);
            out.write(v.length >>> 8);
            out.write(v.length);
            out.writeBytes(v);
        }
        return out.toByteArray();
    }

    /** The type, time and actor a leaf encodes, for checking what a stream reports next to it. */
    public record Header(String type, Instant time, String actor) {}

    /** Decodes the header of a version 1 leaf; throws IllegalArgumentException for anything else. */
    public static Header header(byte[] leaf) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(leaf);
        try {
            byte[] magic = new byte[4];
            b.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new IllegalArgumentException("not a version 1 audit leaf");
            }
            String type = readStr(b);
            long micros = b.getLong();
            String actor = readStr(b);
            return new Header(type, Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                    Math.floorMod(micros, 1_000_000L) * 1_000L), actor);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated audit leaf");
        }
    }

    private static String readStr(java.nio.ByteBuffer b) {
        int n = Short.toUnsignedInt(b.getShort());
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static void str(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("audit string longer than 65535 bytes");
        }
        u16(out, b.length);
        out.writeBytes(b);
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write(v >>> 8);
        out.write(v);
    }

    @Override
    public String toString() {
        return "AuditEntry[" + type + " by " + actor + " at " + time + ", fields=" + fields.keySet() + "]";
    }
}
