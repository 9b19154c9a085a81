package io.escrow.ceremony;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.error.InvalidArgumentException;
import io.escrow.threshold.KeyCeremony;
import io.escrow.threshold.ThresholdParameters;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

class CeremonyStatementTest {
    private static final List<String> THREE = List.of("custodian-1", "custodian-2", "custodian-3");
    private static final String GOOD = "escrow/v1/key-ceremony\ncustodian_id=custodian-2\nkey_id=ek-2027-01\nthreshold=2\n"
            + "custodians=custodian-1,custodian-2,custodian-3\n";

    @Test
    void decode_ofEncode_roundTrips_andGivesTheShareIndex() {
        CeremonyStatement s = CeremonyStatement.decode(GOOD.getBytes(StandardCharsets.UTF_8));
        assertEquals(new CeremonyStatement("custodian-2", "ek-2027-01", 2, THREE), s);
        assertEquals(GOOD, new String(s.encode(), StandardCharsets.UTF_8));
        assertEquals(2, s.shareIndex());
    }

    @Test
    void decode_withAThresholdAboveN_fails() {
        assertRefused(GOOD.replace("threshold=2", "threshold=4"), "statement.threshold");
    }

    @Test
    void decode_withAThresholdThatIsNotANumber_fails() {
        assertRefused(GOOD.replace("threshold=2", "threshold=two"), "statement.threshold");
        assertRefused(GOOD.replace("threshold=2", "threshold=02"), "statement.threshold");
    }

    @Test
    void decode_namingACustodianTwice_fails() {
        assertRefused(GOOD.replace("custodian-1,custodian-2,custodian-3", "custodian-2,custodian-2,custodian-3"), "statement.custodians");
    }

    @Test
    void decode_whoseCustodiansLackTheSigner_fails() {
        assertRefused(GOOD.replace("custodian-1,custodian-2,custodian-3", "custodian-1,custodian-3,custodian-4"), "statement.custodians");
    }

    @Test
    void decode_withAnEmptyCustodian_fails() {
        assertRefused(GOOD.replace("custodian-1,custodian-2,custodian-3", "custodian-1,,custodian-2"), "statement.custodians");
    }

    @Test
    void decode_ofAnotherStatementKind_fails() {
        assertRefused(GOOD.replace("escrow/v1/key-ceremony", "escrow/v1/key-retirement"), "statement");
    }

    @Test
    void decode_withAnExtraLine_fails() {
        assertRefused(GOOD + "note=x\n", "statement");
    }

    @Test
    void mismatch_namesWhatDiffersFromTheKeyRecord() {
        var dealing = new KeyCeremony(new SecureRandom(), Clock.systemUTC(), m -> {}).deal("ek-2027-01", new ThresholdParameters(2, 3),
                THREE);
        try (dealing) {
            assertNull(new CeremonyStatement("custodian-2", "ek-2027-01", 2, THREE).mismatch(dealing.record()));
            assertTrue(new CeremonyStatement("custodian-2", "ek-2027-02", 2, THREE).mismatch(dealing.record()).contains("for ek-2027-01"));
            assertTrue(new CeremonyStatement("custodian-2", "ek-2027-01", 2, List.of("custodian-2", "custodian-1", "custodian-3"))
                    .mismatch(dealing.record()).contains("does not give share 1 to custodian-2"));
        }
    }

    @Test
    void transportKeyStatement_withAShortKey_fails() {
        String t = "escrow/v1/ceremony-transport-key\ncustodian_id=custodian-1\nkey_id=ek-2027-01\nconsent_sha256=" + "ab".repeat(32)
                + "\npublic_key=04" + "00".repeat(31) + "\n";
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> TransportKeyStatement.decode(t.getBytes(StandardCharsets.UTF_8)));
        assertEquals("transport_statement.public_key", e.field());
    }

    private static void assertRefused(String text, String field) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> CeremonyStatement.decode(text.getBytes(StandardCharsets.UTF_8)));
        assertEquals(field, e.field(), e.getMessage());
    }
}
