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

    @Test
    void decode_ofEncode_givesBackTypeTimeActorAndFields() {
        AuditEntry e = AuditEntry.of("release", T, "agency", Map.of("warrant_id", "w-1", "record_id", "r",
                "subject_hash", new byte[] {1, 2, 3}));
        AuditEntry back = AuditEntry.decode(e.encode());
        assertEquals("release", back.type());
        assertEquals(e.time(), back.time());
        assertEquals("agency", back.actor());
        assertEquals("w-1", back.text("warrant_id").orElseThrow());
        assertArrayEquals(new byte[] {1, 2, 3}, back.fields().get("subject_hash"));
        assertTrue(back.text("absent").isEmpty());
        assertArrayEquals(e.encode(), back.encode());
    }

    private static void rejects(String hex, String problem) {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> AuditEntry.decode(Hex.decode(hex)));
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void decode_ofMalformedLeaves_failsNamingTheProblem() {
        String ok = Hex.toHexString(AuditEntry.of("x", T, "a", Map.of("b", "1", "c", "2")).encode());
        rejects("", "truncated");
        rejects("45414c02" + ok.substring(8), "bad magic");
        rejects(ok.substring(0, ok.length() - 2), "claims 1 bytes; 0 remain");
        rejects(ok.substring(0, 20), "truncated at byte 7 (time)");
        rejects(ok + "00", "1 bytes follow the last field");
        // field names out of order: swap "b" and "c"
        rejects(ok.replace("000162000000013100016300000001" + "32", "000163000000013200016200000001" + "31"), "is not after");
        // a field length that runs past the end
        rejects(ok.replace("00016300000001", "000163000000ff"), "claims 255 bytes");
        // invalid UTF-8 in the type
        rejects("45414c01" + "0001" + "ff" + ok.substring(14), "is not UTF-8");
    }
}
