package io.escrow.warrant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
    void revocation_isTheContractString() {
        assertEquals("escrow/v1/revoke/w-9", new String(SignedBytes.revocation("w-9"), StandardCharsets.UTF_8));
    }
}
