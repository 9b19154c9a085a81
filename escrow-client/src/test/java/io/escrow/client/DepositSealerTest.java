package io.escrow.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

class DepositSealerTest {
    private static final HPKE SUITE = new HPKE(HPKE.mode_base, HPKE.kem_P256_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);

    private static JsonNode vector() throws Exception {
        try (InputStream in = DepositSealerTest.class.getResourceAsStream("/rfc9180-a3-p256-sha256-base.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    /** RFC 9180 A.3 (the same KEM and KDF, with AES-128-GCM): key derivation, and the first encryption opens. */
    @Test
    void bouncyCastlesHpke_matchesRfc9180A3() throws Exception {
        JsonNode v = vector();
        HPKE a3 = new HPKE(HPKE.mode_base, HPKE.kem_P256_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM128);
        AsymmetricCipherKeyPair r = a3.deriveKeyPair(Hex.decode(v.get("ikmR").asText()));
        assertEquals(v.get("pkRm").asText(), Hex.toHexString(a3.serializePublicKey(r.getPublic())));
        JsonNode first = v.get("encryptions").get(0);
        byte[] pt = a3.open(Hex.decode(v.get("enc").asText()), r, Hex.decode(v.get("info").asText()), Hex.decode(first.get("aad").asText()),
                Hex.decode(first.get("ct").asText()), null, null, null);
        assertEquals(first.get("pt").asText(), Hex.toHexString(pt));
    }

    @Test
    void seal_opensWithTheContractsInfoAndAad_only() throws Exception {
        AsymmetricCipherKeyPair escrow = SUITE.generatePrivateKey();
        byte[] publicKey = SUITE.serializePublicKey(escrow.getPublic());
        byte[] sessionKey = "a conversation's session key".getBytes(StandardCharsets.UTF_8);
        DepositSealer.Sealed s = DepositSealer.seal("ek-2026-01", publicKey, "alice@example.org", 1700000000L, 1700003600L, sessionKey);
        assertEquals(65, s.enc().length);
        byte[] info = "escrow/v1/deposit/ek-2026-01".getBytes(StandardCharsets.UTF_8);
        byte[] aad = "alice@example.org\n1700000000\n1700003600".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(sessionKey, SUITE.open(s.enc(), escrow, info, aad, s.ciphertext(), null, null, null));
        byte[] otherAad = "alice@example.org\n1700000000\n1700003601".getBytes(StandardCharsets.UTF_8);
        assertThrows(Exception.class, () -> SUITE.open(s.enc(), escrow, info, otherAad, s.ciphertext(), null, null, null));
    }

    @Test
    void seal_withAShortPublicKey_fails() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DepositSealer.seal("ek-1", new byte[33], "s", 1, 2, new byte[] {1}));
        assertTrue(e.getMessage().contains("65-byte"), e.getMessage());
    }

    @Test
    void seal_toAPointOffTheCurve_fails() {
        byte[] bad = new byte[65];
        bad[0] = 4;
        bad[64] = 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DepositSealer.seal("ek-1", bad, "s", 1, 2, new byte[] {1}));
        assertTrue(e.getMessage().contains("not a point on P-256"), e.getMessage());
    }

    @Test
    void seal_ofAnEmptyOrOversizedSessionKey_fails() throws Exception {
        byte[] pk = SUITE.serializePublicKey(SUITE.generatePrivateKey().getPublic());
        assertThrows(IllegalArgumentException.class, () -> DepositSealer.seal("ek-1", pk, "s", 1, 2, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> DepositSealer.seal("ek-1", pk, "s", 1, 2, new byte[1025]));
    }

    @Test
    void seal_withCoversFromAfterCoversUntil_fails() throws Exception {
        byte[] pk = SUITE.serializePublicKey(SUITE.generatePrivateKey().getPublic());
        assertThrows(IllegalArgumentException.class, () -> DepositSealer.seal("ek-1", pk, "s", 3, 2, new byte[] {1}));
        assertThrows(IllegalArgumentException.class, () -> DepositSealer.seal("ek-1", pk, "", 1, 2, new byte[] {1}));
    }
}
