package io.escrow.warrant;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
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
