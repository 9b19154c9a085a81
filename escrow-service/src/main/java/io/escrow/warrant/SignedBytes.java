package io.escrow.warrant;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import io.escrow.error.InvalidArgumentException;
import org.bouncycastle.util.encoders.Hex;

/**
 * The deterministic encoding of (warrant_id, spec) that authorities sign: UTF-8 text, one
 * {@code name=value} line per field, each ending in LF, in this fixed order:
 *
 * <pre>
 * escrow/v1/warrant
 * warrant_id=w-8d0c1b0e-...
 * case_reference=...
 * requesting_agency=...
 * subject_id=...            (one line per subject, in the order filed)
 * covers_from=1767225600 (2026-01-01T00:00:00Z)
 * covers_until=...
 * not_before=...
 * not_after=...
 * max_records=100
 * recipient_public_key=04...   (lowercase hex of the 65-byte SEC1 point)
 * nonce=...                    (lowercase hex)
 * </pre>
 *
 * Times are Unix seconds followed by the same instant in RFC 3339, so a signer can read what
 * they approve with {@code cat}. Text fields never hold control characters (validation rejects
 * them), so a value cannot forge a line.
 */
public final class SignedBytes {
    public static final String HEADER = "escrow/v1/warrant";

    private SignedBytes() {}

    public static byte[] encode(String warrantId, WarrantSpec spec) {
        StringBuilder b = new StringBuilder(512).append(HEADER).append('\n');
        line(b, "warrant_id", warrantId);
        line(b, "case_reference", spec.caseReference());
        line(b, "requesting_agency", spec.requestingAgency());
        for (String s : spec.subjectIds()) {
            line(b, "subject_id", s);
        }
        time(b, "covers_from", spec.coversFrom());
        time(b, "covers_until", spec.coversUntil());
        time(b, "not_before", spec.notBefore());
        time(b, "not_after", spec.notAfter());
        line(b, "max_records", Integer.toString(spec.maxRecords()));
        line(b, "recipient_public_key", Hex.toHexString(spec.recipientPublicKey()));
        line(b, "nonce", Hex.toHexString(spec.nonce()));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A warrant as its signed bytes state it. */
    public record Decoded(String warrantId, WarrantSpec spec) {}

    /**
     * Reads signed bytes back, for a party that trusts only what the authorities signed (a
     * custodian agent, a reviewer). Accepts exactly the canonical encoding: the result encodes
     * back to the same bytes, so two readers can never disagree about what was signed.
     *
     * @throws InvalidArgumentException naming {@code field} and the first problem
     */
    public static Decoded decode(String field, byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new InvalidArgumentException(field, "is empty");
        }
        if (bytes.length > MAX_BYTES) {
            throw new InvalidArgumentException(field, "has " + bytes.length + " bytes; at most " + MAX_BYTES);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!text.endsWith("\n")) {
            throw new InvalidArgumentException(field, "does not end with a line feed");
        }
        java.util.List<String> lines = java.util.List.of(text.substring(0, text.length() - 1).split("\n", -1));
        Cursor in = new Cursor(field, lines);
        if (!HEADER.equals(in.next())) {
            throw new InvalidArgumentException(field, "does not start with " + HEADER);
        }
        String warrantId = in.value("warrant_id");
        String caseReference = in.value("case_reference");
        String agency = in.value("requesting_agency");
        java.util.List<String> subjects = new java.util.ArrayList<>();
        while (in.peekName().equals("subject_id")) {
            subjects.add(in.value("subject_id"));
        }
        if (subjects.isEmpty()) {
            throw new InvalidArgumentException(field, "names no subject_id");
        }
        long coversFrom = in.time("covers_from");
        long coversUntil = in.time("covers_until");
        long notBefore = in.time("not_before");
        long notAfter = in.time("not_after");
        int maxRecords = in.positiveInt("max_records");
        byte[] recipient = in.hex("recipient_public_key");
        byte[] nonce = in.hex("nonce");
        in.requireEnd();
        WarrantSpec spec = new WarrantSpec(caseReference, agency, subjects, coversFrom, coversUntil, notBefore, notAfter,
                maxRecords, recipient, nonce);
        if (!java.util.Arrays.equals(encode(warrantId, spec), bytes)) {
            throw new InvalidArgumentException(field, "is not in canonical form (it does not encode back to the same bytes)");
        }
        return new Decoded(warrantId, spec);
    }

    /** Larger than any valid warrant: 1,000 subjects of 256 bytes and the fixed fields. */
    static final int MAX_BYTES = 1 << 20;

    /** Reads {@code name=value} lines in order. */
    private static final class Cursor {
        private final String field;
        private final java.util.List<String> lines;
        private int at;

        Cursor(String field, java.util.List<String> lines) {
            this.field = field;
            this.lines = lines;
        }

        String next() {
            if (at >= lines.size()) {
                throw new InvalidArgumentException(field, "ends early, after line " + at);
            }
            return lines.get(at++);
        }

        String peekName() {
            if (at >= lines.size()) {
                return "";
            }
            String l = lines.get(at);
            int eq = l.indexOf('=');
            return eq < 0 ? "" : l.substring(0, eq);
        }

        String value(String name) {
            String l = next();
            if (!l.startsWith(name + "=")) {
                throw new InvalidArgumentException(field, "line " + at + " should be " + name + "=...");
            }
            return l.substring(name.length() + 1);
        }

        long time(String name) {
            String v = value(name);
            int space = v.indexOf(' ');
            try {
                long seconds = Long.parseLong(space < 0 ? v : v.substring(0, space));
                if (seconds < 0) {
                    throw new NumberFormatException();
                }
                // Found by fuzzing: beyond year 9999 the canonical form (which shows the time as
                // an instant) could not even be written, and decoding threw DateTimeException.
                if (seconds > WarrantSpec.MAX_SECONDS) {
                    throw new InvalidArgumentException(field, name + " is after 9999-12-31");
                }
                return seconds;
            } catch (NumberFormatException e) {
                throw new InvalidArgumentException(field, name + " is not Unix seconds");
            }
        }

        int positiveInt(String name) {
            String v = value(name);
            try {
                int n = Integer.parseInt(v);
                if (n < 1) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new InvalidArgumentException(field, name + " is not a positive integer");
            }
        }

        byte[] hex(String name) {
            String v = value(name);
            if (v.isEmpty() || v.length() % 2 != 0 || !v.matches("[0-9a-f]+")) {
                throw new InvalidArgumentException(field, name + " is not lowercase hex");
            }
            return Hex.decode(v);
        }

        void requireEnd() {
            if (at != lines.size()) {
                throw new InvalidArgumentException(field, "has unexpected line " + (at + 1) + " after nonce");
            }
        }
    }

    /** The bytes a revocation signs: {@code escrow/v1/revoke/<warrant_id>} (contract §1). */
    public static byte[] revocation(String warrantId) {
        return ("escrow/v1/revoke/" + warrantId).getBytes(StandardCharsets.UTF_8);
    }

    private static void line(StringBuilder b, String name, String value) {
        b.append(name).append('=').append(value).append('\n');
    }

    private static void time(StringBuilder b, String name, long seconds) {
        line(b, name, seconds + " (" + Instant.ofEpochSecond(seconds) + ")");
    }
}
