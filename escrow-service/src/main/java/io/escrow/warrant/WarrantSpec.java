package io.escrow.warrant;

import io.escrow.error.InvalidArgumentException;
import io.escrow.error.TextFields;
import io.escrow.threshold.InvalidPointException;
import io.escrow.threshold.P256;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a warrant allows: which subjects, which covers window, when, how many records, and the one
 * recipient key that may receive them. Built only through {@link #validate}, which checks every
 * field against {@link WarrantLimits} and names the first bad one ({@code spec.<field>}).
 *
 * <p>All times are whole Unix seconds: covers_* because deposits bind their window in seconds,
 * not_* so that the signed text shows exactly the instants that are enforced.
 */
public record WarrantSpec(
        String caseReference,
        String requestingAgency,
        List<String> subjectIds,
        long coversFrom,
        long coversUntil,
        long notBefore,
        long notAfter,
        int maxRecords,
        byte[] recipientPublicKey,
        byte[] nonce) {

    public static final int MAX_TEXT_BYTES = 256;
    public static final int MIN_NONCE_BYTES = 16;
    public static final int MAX_NONCE_BYTES = 64;
    /** 9999-12-31T23:59:59Z: the last second a warrant's times may name. */
    static final long MAX_SECONDS = 253_402_300_799L;

    public WarrantSpec {
        subjectIds = List.copyOf(subjectIds);
        recipientPublicKey = recipientPublicKey.clone();
        nonce = nonce.clone();
    }

    /**
     * @param coversFrom etc. are null when the request did not set them
     * @param now        filing time: a warrant that has already ended cannot be filed
     */
    public static WarrantSpec validate(String caseReference, String requestingAgency, List<String> subjectIds,
                                       Instant coversFrom, Instant coversUntil, Instant notBefore, Instant notAfter,
                                       long maxRecords, byte[] recipientPublicKey, byte[] nonce,
                                       WarrantLimits limits, Instant now) {
        TextFields.requirePrintable("spec.case_reference", caseReference, MAX_TEXT_BYTES);
        TextFields.requirePrintable("spec.requesting_agency", requestingAgency, MAX_TEXT_BYTES);
        if (subjectIds == null || subjectIds.isEmpty()) {
            throw new InvalidArgumentException("spec.subject_ids", "at least one subject is required");
        }
        if (subjectIds.size() > limits.maxSubjects()) {
            throw new InvalidArgumentException("spec.subject_ids", "has " + subjectIds.size()
                    + " subjects; at most " + limits.maxSubjects() + " are allowed");
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < subjectIds.size(); i++) {
            TextFields.requirePrintable("spec.subject_ids[" + i + "]", subjectIds.get(i), MAX_TEXT_BYTES);
            if (!seen.add(subjectIds.get(i))) {
                throw new InvalidArgumentException("spec.subject_ids[" + i + "]", "repeats an earlier subject");
            }
        }
        long from = seconds("spec.covers_from", coversFrom);
        long until = seconds("spec.covers_until", coversUntil);
        if (from > until) {
            throw new InvalidArgumentException("spec.covers_until", "is before covers_from");
        }
        long nb = seconds("spec.not_before", notBefore);
        long na = seconds("spec.not_after", notAfter);
        if (nb >= na) {
            throw new InvalidArgumentException("spec.not_after", "must be after not_before");
        }
        if (na - nb > limits.maxLifetime().getSeconds()) {
            throw new InvalidArgumentException("spec.not_after", "the warrant would last " + (na - nb)
                    + " s; at most " + limits.maxLifetime().getSeconds() + " s (" + limits.maxLifetime() + ") are allowed");
        }
        if (na <= now.getEpochSecond()) {
            throw new InvalidArgumentException("spec.not_after", "is already past");
        }
        if (maxRecords < 1 || maxRecords > limits.maxRecordsCap()) {
            throw new InvalidArgumentException("spec.max_records", "must be 1.." + limits.maxRecordsCap() + ", got " + maxRecords);
        }
        try {
            P256.decodeUncompressed("spec.recipient_public_key", recipientPublicKey);
        } catch (InvalidPointException e) {
            throw new InvalidArgumentException("spec.recipient_public_key",
                    e.getMessage().substring("spec.recipient_public_key: ".length()));
        }
        if (nonce == null || nonce.length < MIN_NONCE_BYTES || nonce.length > MAX_NONCE_BYTES) {
            throw new InvalidArgumentException("spec.nonce", "has " + (nonce == null ? 0 : nonce.length) + " bytes; "
                    + MIN_NONCE_BYTES + "-" + MAX_NONCE_BYTES + " random bytes are required");
        }
        return new WarrantSpec(caseReference, requestingAgency, subjectIds, from, until, nb, na, (int) maxRecords,
                recipientPublicKey, nonce);
    }

    private static long seconds(String field, Instant t) {
        if (t == null) {
            throw new InvalidArgumentException(field, "is required");
        }
        if (t.getNano() != 0) {
            throw new InvalidArgumentException(field, "must be whole seconds");
        }
        if (t.getEpochSecond() < 0 || t.getEpochSecond() > MAX_SECONDS) {
            throw new InvalidArgumentException(field, "is outside 1970-01-01..9999-12-31");
        }
        return t.getEpochSecond();
    }

    /** Whether a deposit's subject and covers window fall inside this warrant. */
    public boolean covers(String subjectId, long recordFrom, long recordUntil) {
        return subjectIds.contains(subjectId) && recordFrom <= coversUntil && recordUntil >= coversFrom;
    }

    @Override
    public byte[] recipientPublicKey() {
        return recipientPublicKey.clone();
    }

    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WarrantSpec w && java.util.Arrays.equals(SignedBytes.encode("", this), SignedBytes.encode("", w));
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(SignedBytes.encode("", this));
    }

    @Override
    public String toString() {
        return "WarrantSpec[" + caseReference + ", " + subjectIds.size() + " subjects, covers " + coversFrom + ".."
                + coversUntil + ", valid " + notBefore + ".." + notAfter + ", max " + maxRecords + "]";
    }
}
