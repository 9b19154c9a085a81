package io.escrow.warrant;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.config.ConfigurationException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WarrantLimitsTest {
    private static final int ONE_MIB = 1 << 20;

    @Test
    void checkRequestLimit_withDefaultsAndOneMebibyte_passes() {
        assertDoesNotThrow(() -> WarrantLimits.DEFAULT.checkRequestLimit(ONE_MIB));
        assertTrue(WarrantLimits.DEFAULT.largestFilingBytes() < ONE_MIB / 3, "the default leaves room: "
                + WarrantLimits.DEFAULT.largestFilingBytes());
    }

    @Test
    void checkRequestLimit_withMoreSubjectsThanTheLimitHolds_failsNamingBoth() {
        WarrantLimits wide = new WarrantLimits(Duration.ofDays(30), 100_000, 10_000);
        var e = assertThrows(ConfigurationException.class, () -> wide.checkRequestLimit(ONE_MIB));
        assertTrue(e.getMessage().contains("max-inbound-message-size (1048576 bytes)"), e.getMessage());
        assertTrue(e.getMessage().contains("escrow.warrant.max-subjects=10000"), e.getMessage());
        assertDoesNotThrow(() -> wide.checkRequestLimit(wide.largestFilingBytes()));
    }

    @Test
    void largestFilingBytes_coversAWarrantOfLongestSubjects() {
        WarrantLimits limits = new WarrantLimits(Duration.ofDays(30), 100_000, 50);
        var spec = io.escrow.proto.v1.WarrantSpec.newBuilder().setCaseReference("x".repeat(WarrantSpec.MAX_TEXT_BYTES))
                .setRequestingAgency("y".repeat(WarrantSpec.MAX_TEXT_BYTES)).setRecipientPublicKey(com.google.protobuf.ByteString.copyFrom(new byte[65]))
                .setNonce(com.google.protobuf.ByteString.copyFrom(new byte[32]));
        for (int i = 0; i < 50; i++) {
            spec.addSubjectIds("s".repeat(WarrantSpec.MAX_TEXT_BYTES));
        }
        int size = io.escrow.proto.v1.FileWarrantRequest.newBuilder().setSpec(spec).build().getSerializedSize();
        assertTrue(size <= limits.largestFilingBytes(), size + " > " + limits.largestFilingBytes());
    }
}
