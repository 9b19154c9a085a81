package io.escrow.consent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.error.InvalidArgumentException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ConsentStatementTest {
    private static ConsentStatement statement() {
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        Arrays.fill(b, (byte) 0xab);
        return new ConsentStatement("custodian-1", "w-1", a, b, 10, 1_767_229_200L, new byte[16]);
    }

    @Test
    void encode_isTheDocumentedText() {
        String expected = """
                escrow/v1/consent
                custodian_id=custodian-1
                warrant_id=w-1
                signed_bytes_sha256=%s
                approvals_sha256=%s
                max_uses=10
                not_after=1767229200 (2026-01-01T01:00:00Z)
                nonce=%s
                """.formatted("00".repeat(32), "ab".repeat(32), "00".repeat(16));
        assertEquals(expected, new String(statement().encode(), StandardCharsets.UTF_8));
    }

    @Test
    void decode_ofEncode_isTheSameStatement() {
        assertEquals(statement(), ConsentStatement.decode(statement().encode()));
    }

    private static void rejects(String text, String problem) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> ConsentStatement.decode(text.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().startsWith("consent_statement"), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void decode_ofMalformedStatements_failsNamingTheProblem() {
        String ok = new String(statement().encode(), StandardCharsets.UTF_8);
        rejects("", "must be 1-4096 bytes");
        rejects(ok.replace("escrow/v1/consent", "escrow/v1/warrant"), "is not an escrow/v1/consent statement");
        rejects(ok.substring(0, ok.length() - 1), "ending in LF");
        rejects(ok.replace("max_uses=10", "max_uses=0"), "consent_statement.max_uses: must be 1..");
        rejects(ok.replace("max_uses=10", "max_uses=ten"), "decimal integers");
        rejects(ok.replace("max_uses=10", "max_uses=010"), "not in canonical form");
        rejects(ok.replace("(2026-01-01T01:00:00Z)", "(tomorrow)"), "not in canonical form");
        rejects(ok.replace("warrant_id=", "warrant="), "line 3 should be warrant_id=");
        rejects(ok.replace("nonce=" + "00".repeat(16), "nonce=00"), "consent_statement.nonce: must be 16-64 bytes");
        rejects(ok.replace("approvals_sha256=ab", "approvals_sha256=AB"), "is not lowercase hex");
        rejects(ok.replace("custodian_id=custodian-1", "custodian_id=custodian 1"), "consent_statement.custodian_id");
    }

    @Test
    void approvalsDigest_bindsNamesAndSignatures() {
        TreeMap<String, byte[]> a = new TreeMap<>();
        a.put("court", new byte[] {1, 2});
        a.put("ministry", new byte[] {3});
        TreeMap<String, byte[]> swapped = new TreeMap<>();
        swapped.put("court", new byte[] {3});
        swapped.put("ministry", new byte[] {1, 2});
        TreeMap<String, byte[]> shifted = new TreeMap<>();
        shifted.put("court", new byte[] {1});
        shifted.put("ministry", new byte[] {2, 3});
        assertArrayEquals(ConsentStatement.approvalsDigest(a), ConsentStatement.approvalsDigest(new TreeMap<>(a)));
        assertFalse(Arrays.equals(ConsentStatement.approvalsDigest(a), ConsentStatement.approvalsDigest(swapped)));
        assertFalse(Arrays.equals(ConsentStatement.approvalsDigest(a), ConsentStatement.approvalsDigest(shifted)));
    }
}
