package io.escrow.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.escrow.recovery.RecoveryReport;
import io.escrow.recovery.RecoveryReport.FailedRecord;
import io.grpc.Metadata;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecoveryTrailersTest {
    @Test
    void of_aReportWithFailures_carriesTheCountsAndTheFailedRecordIds() {
        Metadata m = RecoveryTrailers.of(new RecoveryReport("w-1", 3, 2, 2,
                List.of(new FailedRecord("r-1", "tag mismatch"), new FailedRecord("r-2", "tag mismatch")), "complete"));
        assertEquals("3", m.get(RecoveryTrailers.RELEASED));
        assertEquals("2", m.get(RecoveryTrailers.RESENT));
        assertEquals("2", m.get(RecoveryTrailers.FAILED));
        assertEquals("r-1,r-2", m.get(RecoveryTrailers.FAILED_RECORDS));
        assertEquals("complete", m.get(RecoveryTrailers.OUTCOME));
    }

    @Test
    void of_aCleanReport_hasNoFailedRecordsKey_andTheOutcomeInPrintableAscii() {
        Metadata m = RecoveryTrailers.of(new RecoveryReport("w-1", 1, 0, 0, List.of(), "stopped: warrant revoked\nby court \u00e9"));
        assertNull(m.get(RecoveryTrailers.FAILED_RECORDS));
        assertEquals("stopped: warrant revoked?by court ?", m.get(RecoveryTrailers.OUTCOME));
    }

    @Test
    void recoveryReport_listingMoreFailuresThanItCounts_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> new RecoveryReport("w-1", 0, 0, 0,
                List.of(new FailedRecord("r-1", "x")), "complete"));
    }
}
