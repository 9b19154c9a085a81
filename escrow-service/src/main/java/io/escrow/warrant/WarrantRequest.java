package io.escrow.warrant;

import java.time.Instant;
import java.util.List;

/** A filing exactly as received, before validation; {@code null} times were not set. */
public record WarrantRequest(String caseReference, String requestingAgency, List<String> subjectIds,
                             Instant coversFrom, Instant coversUntil, Instant notBefore, Instant notAfter,
                             long maxRecords, byte[] recipientPublicKey, byte[] nonce) {

    public WarrantSpec validate(WarrantLimits limits, Instant now) {
        return WarrantSpec.validate(caseReference, requestingAgency, subjectIds, coversFrom, coversUntil, notBefore, notAfter,
                maxRecords, recipientPublicKey, nonce, limits, now);
    }

    @Override
    public String toString() {
        return "WarrantRequest[" + caseReference + "]";
    }
}
