package io.escrow.recovery;

/** How a recovery ended: counts of records released for the first time, sent again, and failed. */
public record RecoveryReport(String warrantId, int released, int resent, int failed, String outcome) {}
