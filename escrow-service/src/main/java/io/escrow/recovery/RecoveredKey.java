package io.escrow.recovery;

import java.util.UUID;

/** One released record: its session key HPKE-sealed to the warrant's recipient (contract §1). */
public record RecoveredKey(UUID recordId, String subjectId, long coversFrom, long coversUntil, byte[] enc,
                           byte[] sealedKey, long auditIndex) {}
