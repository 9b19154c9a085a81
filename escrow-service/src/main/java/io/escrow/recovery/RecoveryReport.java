package io.escrow.recovery;

import java.util.List;

/**
 * How a recovery ended: counts of records released for the first time, sent again, and failed,
 * with the first {@link #MAX_LISTED} failed records named (all of them are in the audit log as
 * {@code release_failed}). {@code retiredKeys} names the retired keys, any of which may have held
 * deposits in the warrant's scope: their shares are destroyed and their deposits dropped, so
 * nothing under them is released, or ever can be.
 */
public record RecoveryReport(String warrantId, int released, int resent, int failed, List<FailedRecord> failedRecords,
                             String outcome, List<String> retiredKeys) {
    public static final int MAX_LISTED = 50;

    /** A record in scope that could not be opened with the custodians' shares, and why. */
    public record FailedRecord(String recordId, String reason) {}

    public RecoveryReport(String warrantId, int released, int resent, int failed, List<FailedRecord> failedRecords, String outcome) {
        this(warrantId, released, resent, failed, failedRecords, outcome, List.of());
    }

    public RecoveryReport {
        failedRecords = List.copyOf(failedRecords);
        retiredKeys = List.copyOf(retiredKeys);
        if (failedRecords.size() > Math.min(failed, MAX_LISTED)) {
            throw new IllegalArgumentException("more failed records listed than failed");
        }
    }
}
