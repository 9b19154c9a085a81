package io.escrow.recovery;

import java.util.UUID;

/** A stored deposit that a warrant covers. */
record InScopeRecord(UUID recordId, String subjectId, String keyId, long coversFrom, long coversUntil, byte[] enc,
                     byte[] ciphertext, long depositIndex) {}
