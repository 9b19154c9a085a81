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

    /**
     * Reads a version 1 leaf back, for a party that checks leaves itself (a custodian agent, an
     * overseer's tool). Strict: the magic, every length, UTF-8, strictly ascending field names
     * and the absence of trailing bytes are checked, so the result encodes back to exactly
     * {@code leaf}.
     *
     * @throws IllegalArgumentException naming the first problem and its byte offset
     */
    public static AuditEntry decode(byte[] leaf) {
        Reader in = new Reader(leaf);
        for (byte m : MAGIC) {
            if (in.u8() != (m & 0xFF)) {
                throw new IllegalArgumentException("not an EAL v1 audit leaf (bad magic)");
            }
        }
        String type = in.str("type");
        long micros = in.u64();
        if (micros < 0) {
            throw new IllegalArgumentException("time is negative");
        }
        String actor = in.str("actor");
        int count = in.u16();
        SortedMap<String, byte[]> fields = new TreeMap<>();
        String previous = null;
        for (int i = 0; i < count; i++) {
            int at = in.at;
            String name = in.str("field name");
            if (previous != null && previous.compareTo(name) >= 0) {
                throw new IllegalArgumentException("field '" + name + "' at byte " + at + " is not after '" + previous + "'");
            }
            fields.put(name, in.bytes(name));
            previous = name;
        }
        if (in.at != leaf.length) {
            throw new IllegalArgumentException((leaf.length - in.at) + " bytes follow the last field");
        }
        Instant time = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
        AuditEntry e = new AuditEntry(type, time, actor, fields);
        if (!java.util.Arrays.equals(e.encode(), leaf)) {
            // Java orders names by UTF-16 units, the leaf by UTF-8 bytes; they agree on ASCII names only.
            throw new IllegalArgumentException("not in canonical form");
        }
        return e;
    }

    /** A field's value as UTF-8 text, or empty when the field is absent. */
    public java.util.Optional<String> text(String name) {
        byte[] v = fields.get(name);
        return v == null ? java.util.Optional.empty() : java.util.Optional.of(new String(v, StandardCharsets.UTF_8));
    }

    /** Bounds-checked reads over a leaf. */
    private static final class Reader {
        private final byte[] b;
        private int at;

        Reader(byte[] b) {
            this.b = b == null ? new byte[0] : b;
        }

        private void need(int n, String what) {
            if (n < 0 || b.length - at < n) {
                throw new IllegalArgumentException("truncated at byte " + at + " (" + what + ")");
            }
        }

        int u8() {
            need(1, "header");
            return b[at++] & 0xFF;
        }

        int u16() {
            need(2, "u16");
            int v = (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
            at += 2;
            return v;
        }

        long u64() {
            need(8, "time");
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (b[at++] & 0xFF);
            }
            return v;
        }

        String str(String what) {
            int n = u16();
            need(n, what);
            try {
                String s = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(b, at, n)).toString();
                at += n;
                return s;
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new IllegalArgumentException(what + " at byte " + at + " is not UTF-8");
            }
        }

        byte[] bytes(String what) {
            need(4, what + " length");
            long n = ((long) (b[at] & 0xFF) << 24) | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
            at += 4;
            if (n > b.length - at) {
                throw new IllegalArgumentException("field '" + what + "' claims " + n + " bytes; " + (b.length - at) + " remain");
            }
            byte[] v = java.util.Arrays.copyOfRange(b, at, at + (int) n);
            at += (int) n;
            return v;
        }
    }

    /**
     * Whether {@code leaf} is a version 1 leaf whose header holds exactly this type (UTF-8), time
     * (µs since the epoch) and actor (UTF-8). Compares bytes without decoding: a verifier calls
     * this for every leaf it replays.
     */
    public static boolean headerMatches(byte[] leaf, byte[] type, long micros, byte[] actor) {
        int need = MAGIC.length + 2 + type.length + 8 + 2 + actor.length;
        if (leaf.length < need) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (leaf[i] != MAGIC[i]) {
                return false;
            }
        }
        int p = MAGIC.length;
        if (((leaf[p] & 0xFF) << 8 | (leaf[p + 1] & 0xFF)) != type.length
                || !java.util.Arrays.equals(leaf, p + 2, p + 2 + type.length, type, 0, type.length)) {
            return false;
        }
        p += 2 + type.length;
        long t = 0;
        for (int i = 0; i < 8; i++) {
            t = (t << 8) | (leaf[p + i] & 0xFF);
        }
        if (t != micros) {
            return false;
        }
        p += 8;
        return ((leaf[p] & 0xFF) << 8 | (leaf[p + 1] & 0xFF)) == actor.length
                && java.util.Arrays.equals(leaf, p + 2, p + 2 + actor.length, actor, 0, actor.length);
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
