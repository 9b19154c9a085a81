package io.escrow.recovery;

import io.escrow.audit.StoredDeposit;
import java.time.Instant;
import java.util.UUID;

/** A stored deposit that a warrant covers, with what its audit leaf is rebuilt from ({@link #stored}). */
record InScopeRecord(UUID recordId, String subjectId, String keyId, long coversFrom, long coversUntil, byte[] enc,
                     byte[] ciphertext, long depositIndex, String provider, Instant depositedAt) {
    StoredDeposit stored() {
        return new StoredDeposit(depositIndex, depositedAt, provider, recordId, subjectId, keyId, coversFrom, coversUntil, enc,
                ciphertext);
    }
}
