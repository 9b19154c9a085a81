package io.escrow.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

class AuditEntryTest {
    private static final Instant T = Instant.ofEpochSecond(1_700_000_000L, 123_456_789);

    @Test
    void encode_isTheDocumentedLayout_withNamesSortedAndMicroseconds() {
        byte[] leaf = AuditEntry.of("release", T, "agency", Map.of("warrant_id", "w-1", "record_id", "r")).encode();
        String expected = "45414c01" + "0007" + Hex.toHexString("release".getBytes(StandardCharsets.UTF_8))
                + "00060a2418202240" // 1_700_000_000_123_456 µs
                + "0006" + Hex.toHexString("agency".getBytes(StandardCharsets.UTF_8))
                + "0002"
                + "0009" + Hex.toHexString("record_id".getBytes(StandardCharsets.UTF_8)) + "00000001" + "72"
                + "000a" + Hex.toHexString("warrant_id".getBytes(StandardCharsets.UTF_8)) + "00000003" + "772d31";
        assertEquals(expected, Hex.toHexString(leaf));
    }

    @Test
    void time_isTruncatedToMicroseconds_likeTheStoredColumn() {
        assertEquals(Instant.ofEpochSecond(1_700_000_000L, 123_456_000), AuditEntry.of("x", T, "a", Map.of()).time());
    }

    @Test
    void headerMatches_onlyTheExactTypeTimeAndActor() {
        byte[] leaf = AuditEntry.of("deposit", T, "acme", Map.of("k", "v")).encode();
        byte[] type = "deposit".getBytes(StandardCharsets.UTF_8);
        byte[] actor = "acme".getBytes(StandardCharsets.UTF_8);
        long micros = 1_700_000_000_123_456L;
        assertTrue(AuditEntry.headerMatches(leaf, type, micros, actor));
        assertFalse(AuditEntry.headerMatches(leaf, "release".getBytes(StandardCharsets.UTF_8), micros, actor));
        assertFalse(AuditEntry.headerMatches(leaf, type, micros + 1, actor));
        assertFalse(AuditEntry.headerMatches(leaf, type, micros, "acmf".getBytes(StandardCharsets.UTF_8)));
        assertFalse(AuditEntry.headerMatches(new byte[3], type, micros, actor));
        byte[] otherMagic = leaf.clone();
        otherMagic[3] = 2;
        assertFalse(AuditEntry.headerMatches(otherMagic, type, micros, actor));
        assertArrayEquals(leaf, AuditEntry.of("deposit", T, "acme", Map.of("k", "v")).encode(), "deterministic");
    }
}
