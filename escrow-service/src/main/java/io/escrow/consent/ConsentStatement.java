package io.escrow.consent;

import io.escrow.error.InvalidArgumentException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.bouncycastle.util.encoders.Hex;

/**
 * What a custodian signs to consent to one warrant: a statement of its own, never the
 * authorities' bytes, so that one signature can never count both as an approval and as a
 * consent. It binds the exact warrant (the SHA-256 of its signed bytes), the exact approvals the
 * custodian reviewed, a use limit and an end. UTF-8, one {@code name=value} line each, each
 * ending in LF, in this order:
 *
 * <pre>
 * escrow/v1/consent
 * custodian_id=custodian-1
 * warrant_id=w-8d0c1b0e-...
 * signed_bytes_sha256=...     (lowercase hex)
 * approvals_sha256=...        (lowercase hex of {@link #approvalsDigest})
 * max_uses=10
 * not_after=1767229200 (2026-01-01T01:00:00Z)
 * nonce=...                   (16-64 random bytes, lowercase hex: each consent is new)
 * </pre>
 */
public record ConsentStatement(String custodianId, String warrantId, byte[] signedBytesSha256, byte[] approvalsSha256,
                               int maxUses, long notAfter, byte[] nonce) {
    public static final String HEADER = "escrow/v1/consent";
    public static final int MAX_USES = 1_000_000;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final List<String> FIELDS = List.of("custodian_id", "warrant_id", "signed_bytes_sha256",
            "approvals_sha256", "max_uses", "not_after", "nonce");

    public ConsentStatement {
        require("custodian_id", custodianId != null && ID.matcher(custodianId).matches(), "must be 1-64 of [A-Za-z0-9._-]");
        require("warrant_id", warrantId != null && ID.matcher(warrantId).matches(), "must be 1-64 of [A-Za-z0-9._-]");
        require("signed_bytes_sha256", signedBytesSha256 != null && signedBytesSha256.length == 32, "must be 32 bytes");
        require("approvals_sha256", approvalsSha256 != null && approvalsSha256.length == 32, "must be 32 bytes");
        require("max_uses", maxUses >= 1 && maxUses <= MAX_USES, "must be 1.." + MAX_USES);
        require("not_after", notAfter > 0 && notAfter <= 253_402_300_799L, "must be a time in 1970..9999");
        require("nonce", nonce != null && nonce.length >= 16 && nonce.length <= 64, "must be 16-64 bytes");
        signedBytesSha256 = signedBytesSha256.clone();
        approvalsSha256 = approvalsSha256.clone();
        nonce = nonce.clone();
    }

    /**
     * A fresh consent (new random nonce) of {@code custodianId} to a warrant as fetched from the
     * service: its signed bytes and its approvals' CMS by authority.
     */
    public static ConsentStatement of(String custodianId, String warrantId, byte[] signedBytes,
                                      SortedMap<String, byte[]> approvals, int maxUses, Instant notAfter) {
        byte[] nonce = new byte[16];
        new java.security.SecureRandom().nextBytes(nonce);
        return new ConsentStatement(custodianId, warrantId, sha256(signedBytes), approvalsDigest(approvals), maxUses,
                notAfter.getEpochSecond(), nonce);
    }

    private static void require(String field, boolean ok, String problem) {
        if (!ok) {
            throw new InvalidArgumentException("consent_statement." + field, problem);
        }
    }

    public byte[] encode() {
        StringBuilder b = new StringBuilder(400).append(HEADER).append('\n');
        Map<String, String> v = values();
        for (String f : FIELDS) {
            b.append(f).append('=').append(v.get(f)).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private Map<String, String> values() {
        Map<String, String> v = new TreeMap<>();
        v.put("custodian_id", custodianId);
        v.put("warrant_id", warrantId);
        v.put("signed_bytes_sha256", Hex.toHexString(signedBytesSha256));
        v.put("approvals_sha256", Hex.toHexString(approvalsSha256));
        v.put("max_uses", Integer.toString(maxUses));
        v.put("not_after", notAfter + " (" + Instant.ofEpochSecond(notAfter) + ")");
        v.put("nonce", Hex.toHexString(nonce));
        return v;
    }

    /** Reads a statement; accepts only the canonical encoding (it must encode back to the same bytes). */
    public static ConsentStatement decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0 || bytes.length > 4096) {
            throw new InvalidArgumentException("consent_statement", "must be 1-4096 bytes");
        }
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
        if (lines.length != FIELDS.size() + 2 || !lines[0].equals(HEADER) || !lines[lines.length - 1].isEmpty()) {
            throw new InvalidArgumentException("consent_statement", "is not an " + HEADER + " statement of "
                    + (FIELDS.size() + 1) + " lines ending in LF");
        }
        Map<String, String> v = new TreeMap<>();
        for (int i = 0; i < FIELDS.size(); i++) {
            String prefix = FIELDS.get(i) + "=";
            if (!lines[i + 1].startsWith(prefix)) {
                throw new InvalidArgumentException("consent_statement", "line " + (i + 2) + " should be " + prefix + "...");
            }
            v.put(FIELDS.get(i), lines[i + 1].substring(prefix.length()));
        }
        ConsentStatement s;
        try {
            String notAfter = v.get("not_after");
            s = new ConsentStatement(v.get("custodian_id"), v.get("warrant_id"), hex(v.get("signed_bytes_sha256")),
                    hex(v.get("approvals_sha256")), Integer.parseInt(v.get("max_uses")),
                    Long.parseLong(notAfter.contains(" ") ? notAfter.substring(0, notAfter.indexOf(' ')) : notAfter),
                    hex(v.get("nonce")));
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException("consent_statement", "max_uses and not_after must be decimal integers");
        }
        if (!Arrays.equals(s.encode(), bytes)) {
            throw new InvalidArgumentException("consent_statement", "is not in canonical form");
        }
        return s;
    }

    private static byte[] hex(String v) {
        if (!v.matches("([0-9a-f]{2})+")) {
            throw new InvalidArgumentException("consent_statement", "'" + v + "' is not lowercase hex");
        }
        return Hex.decode(v);
    }

    /**
     * SHA-256 over the approvals a custodian reviewed: for each authority in name order, the
     * UTF-8 name and the DER CMS, each as u32 length then bytes. Binds the consent to exactly
     * those signatures: another approval set, even one meeting the same policy, is another hash.
     */
    public static byte[] approvalsDigest(SortedMap<String, byte[]> cmsByAuthority) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        cmsByAuthority.forEach((name, cms) -> {
            lengthPrefixed(out, name.getBytes(StandardCharsets.UTF_8));
            lengthPrefixed(out, cms);
        });
        return sha256(out.toByteArray());
    }

    private static void lengthPrefixed(ByteArrayOutputStream out, byte[] b) {
        out.write(b.length >>> 24);
        out.write(b.length >>> 16);
        out.write(b.length >>> 8);
        out.write(b.length);
        out.writeBytes(b);
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public byte[] signedBytesSha256() {
        return signedBytesSha256.clone();
    }

    @Override
    public byte[] approvalsSha256() {
        return approvalsSha256.clone();
    }

    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConsentStatement c && Arrays.equals(encode(), c.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "ConsentStatement[" + custodianId + " for " + warrantId + ", " + maxUses + " uses until "
                + Instant.ofEpochSecond(notAfter) + "]";
    }
}
