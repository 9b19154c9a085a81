package io.escrow.warrant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.error.InvalidArgumentException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignedBytesTest {
    private static final byte[] KEY = new byte[65];
    static {
        KEY[0] = 4;
    }

    private static WarrantSpec spec(List<String> subjects, int max) {
        return new WarrantSpec("CASE-1", "Agency", subjects, 1_700_000_000L, 1_700_003_600L, 1_800_000_000L, 1_800_086_400L, max,
                KEY, new byte[16]);
    }

    @Test
    void encode_isTheDocumentedText() {
        String expected = """
                escrow/v1/warrant
                warrant_id=w-1
                case_reference=CASE-1
                requesting_agency=Agency
                subject_id=alice
                subject_id=bob
                covers_from=1700000000 (2023-11-14T22:13:20Z)
                covers_until=1700003600 (2023-11-14T23:13:20Z)
                not_before=1800000000 (2027-01-15T08:00:00Z)
                not_after=1800086400 (2027-01-16T08:00:00Z)
                max_records=5
                recipient_public_key=04%s
                nonce=%s
                """.formatted("00".repeat(64), "00".repeat(16));
        assertEquals(expected, new String(SignedBytes.encode("w-1", spec(List.of("alice", "bob"), 5)), StandardCharsets.UTF_8));
    }

    @Test
    void encode_isDeterministic_andBindsIdOrderAndEveryField() {
        byte[] a = SignedBytes.encode("w-1", spec(List.of("alice", "bob"), 5));
        assertArrayEquals(a, SignedBytes.encode("w-1", spec(List.of("alice", "bob"), 5)));
        assertFalse(Arrays.equals(a, SignedBytes.encode("w-2", spec(List.of("alice", "bob"), 5))));
        assertFalse(Arrays.equals(a, SignedBytes.encode("w-1", spec(List.of("bob", "alice"), 5))));
        assertFalse(Arrays.equals(a, SignedBytes.encode("w-1", spec(List.of("alice", "bob"), 6))));
    }

    @Test
    void decode_ofEncode_givesBackTheIdAndSpec() {
        WarrantSpec spec = spec(List.of("alice", "bob"), 5);
        SignedBytes.Decoded d = SignedBytes.decode("signed_bytes", SignedBytes.encode("w-1", spec));
        assertEquals("w-1", d.warrantId());
        assertEquals(spec, d.spec());
        assertEquals(List.of("alice", "bob"), d.spec().subjectIds());
        assertEquals(5, d.spec().maxRecords());
    }

    /** Found by fuzzing in CI: a time past year 9999 made decoding throw DateTimeException instead of refusing. */
    @Test
    void decode_timeAfterYear9999_isRefused() {
        String t = text();
        String line = t.lines().filter(l -> l.startsWith("not_after=")).findFirst().orElseThrow();
        rejects(t.replace(line, "not_after=999999999999999999"), "not_after is after 9999-12-31");
    }

    private static String text() {
        return new String(SignedBytes.encode("w-1", spec(List.of("alice"), 5)), StandardCharsets.UTF_8);
    }

    private static void rejects(String text, String problem) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> SignedBytes.decode("signed_bytes", text.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().startsWith("signed_bytes: "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void decode_ofMalformedBytes_failsNamingTheProblem() {
        rejects("", "is empty");
        rejects(text().replace("escrow/v1/warrant", "escrow/v2/warrant"), "does not start with");
        rejects(text().substring(0, text().length() - 1), "does not end with a line feed");
        rejects(text().replace("subject_id=alice\n", ""), "names no subject_id");
        rejects(text().replace("max_records=5", "max_records=0"), "max_records is not a positive integer");
        rejects(text().replace("max_records=5", "max_records=+5"), "not in canonical form");
        rejects(text().replace("covers_from=1700000000", "covers_from=x"), "covers_from is not Unix seconds");
        rejects(text().replace("(2023-11-14T22:13:20Z)", "(2023-11-14T22:13:21Z)"), "not in canonical form");
        rejects(text().replace("recipient_public_key=04", "recipient_public_key=4"), "is not lowercase hex");
        rejects(text().replace("nonce=00", "nonce=AA"), "is not lowercase hex");
        rejects(text() + "extra=1\n", "unexpected line");
        rejects(text().substring(0, text().indexOf("nonce=")), "ends early");
        rejects(text().replace("case_reference=", "case_ref="), "should be case_reference=");
    }

    @Test
    void revocation_isTheContractString() {
        assertEquals("escrow/v1/revoke/w-9", new String(SignedBytes.revocation("w-9"), StandardCharsets.UTF_8));
    }
}
