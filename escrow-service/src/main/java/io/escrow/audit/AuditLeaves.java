package io.escrow.audit;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of the leaves that custodian agents and overseers check field by field: a deposit,
 * and a release (or re-release) under a warrant. Written by the service and by test and
 * benchmark logs alike, so the fields a verifier expects are the ones the writers put.
 */
public final class AuditLeaves {
    public static final String DEPOSIT = "deposit";
    public static final String RELEASE = "release";
    public static final String RE_RELEASE = "re-release";

    private AuditLeaves() {}

    /**
     * A deposit: its record, provider, subject hash, key and window, and {@code payload_sha256},
     * the SHA-256 of enc followed by the ciphertext, which commits the leaf to the deposit's bytes.
     */
    public static AuditEntry deposit(Instant time, String provider, String recordId, byte[] subjectHash, String keyId,
                                     long coversFrom, long coversUntil, byte[] payloadSha256) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("record_id", recordId);
        f.put("provider", provider);
        f.put("subject_hash", subjectHash);
        f.put("key_id", keyId);
        f.put("covers_from", coversFrom);
        f.put("covers_until", coversUntil);
        f.put("payload_sha256", payloadSha256);
        return AuditEntry.of(DEPOSIT, time, provider, f);
    }

    /** SHA-256 of enc (always 65 bytes) followed by the ciphertext: what a deposit leaf's payload_sha256 holds. */
    public static byte[] payloadSha256(byte[] enc, byte[] ciphertext) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(enc);
            md.update(ciphertext);
            return md.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A release of a record under a warrant (a {@code re-release} when it was released before),
     * naming the custodians that will be asked to open it, the record's subject hash and the
     * SHA-256 of the warrant's recipient key, so it can be checked against the warrant's scope.
     */
    public static AuditEntry release(boolean repeat, Instant time, String actor, String warrantId, String recordId, String keyId,
                                     List<String> custodians, byte[] subjectHash, byte[] recipientSha256) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("warrant_id", warrantId);
        f.put("record_id", recordId);
        f.put("key_id", keyId);
        f.put("custodians", String.join(",", custodians));
        f.put("subject_hash", subjectHash);
        f.put("recipient_sha256", recipientSha256);
        return AuditEntry.of(repeat ? RE_RELEASE : RELEASE, time, actor, f);
    }
}
