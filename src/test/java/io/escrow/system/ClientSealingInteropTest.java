package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.escrow.client.DepositSealer;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/**
 * The client library's sealing (Bouncy Castle's HPKE, escrow-client) opens with the service's own
 * HPKE (escrow-service), under exactly contract section 1's info and aad, for session keys of
 * every length the contract allows at its edges, and not under any other aad.
 */
class ClientSealingInteropTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Hpke SERVICE = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);

    @Test
    void clientSealed_opensWithTheServicesHpke() {
        Hpke.KeyPair escrow = Hpke.generateKeyPair(RANDOM);
        for (int length : new int[] {1, 16, 32, 1024}) {
            byte[] sessionKey = new byte[length];
            RANDOM.nextBytes(sessionKey);
            DepositSealer.Sealed s = DepositSealer.seal("ek-2026-07", escrow.publicKeyBytes(), "bob@example.org", 1700000000L,
                    1700003600L, sessionKey);
            byte[] info = "escrow/v1/deposit/ek-2026-07".getBytes(StandardCharsets.UTF_8);
            byte[] aad = "bob@example.org\n1700000000\n1700003600".getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(sessionKey, SERVICE.openOrNull(escrow, s.enc(), info, aad, s.ciphertext()), "length " + length);
            assertNull(SERVICE.openOrNull(escrow, s.enc(), info, "bob@example.org\n1700000000\n1700003601".getBytes(StandardCharsets.UTF_8),
                    s.ciphertext()));
        }
    }

    /** The README's Node example (@hpke/core), an outside implementation, seals what the service's HPKE opens. */
    @Test
    void nodeExampleSealed_opensWithTheServicesHpke() throws Exception {
        Hpke.KeyPair escrow = Hpke.generateKeyPair(RANDOM);
        for (int length : new int[] {1, 32, 1024}) {
            byte[] sessionKey = new byte[length];
            RANDOM.nextBytes(sessionKey);
            String out = NodeExample.run("seal", java.util.HexFormat.of().formatHex(escrow.publicKeyBytes()), "ek-2026-07",
                    "bob@example.org", "1700000000", "1700003600", java.util.HexFormat.of().formatHex(sessionKey));
            var m = java.util.regex.Pattern.compile("\\{\"enc\":\"([0-9a-f]+)\",\"ciphertext\":\"([0-9a-f]+)\"}").matcher(out);
            org.junit.jupiter.api.Assertions.assertTrue(m.matches(), out);
            byte[] enc = java.util.HexFormat.of().parseHex(m.group(1));
            byte[] ct = java.util.HexFormat.of().parseHex(m.group(2));
            byte[] info = "escrow/v1/deposit/ek-2026-07".getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(sessionKey, SERVICE.openOrNull(escrow, enc, info,
                    "bob@example.org\n1700000000\n1700003600".getBytes(StandardCharsets.UTF_8), ct), "length " + length);
            assertNull(SERVICE.openOrNull(escrow, enc, "escrow/v1/deposit/ek-other".getBytes(StandardCharsets.UTF_8),
                    "bob@example.org\n1700000000\n1700003600".getBytes(StandardCharsets.UTF_8), ct));
        }
    }
}
