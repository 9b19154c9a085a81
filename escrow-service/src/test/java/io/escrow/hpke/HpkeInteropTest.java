package io.escrow.hpke;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.hpke.HPKE;
import org.junit.jupiter.api.Test;

/**
 * The contract's suite 0x0010/0x0001/0x0002 against an independent implementation: Bouncy
 * Castle's org.bouncycastle.crypto.hpke.HPKE, in both directions.
 */
class HpkeInteropTest {
    private static final SecureRandom RNG = new SecureRandom();
    private final Hpke ours = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);
    private final HPKE bc = new HPKE(HPKE.mode_base, HPKE.kem_P256_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);
    private final byte[] info = "escrow/v1/deposit/ek-2026-01".getBytes(StandardCharsets.UTF_8);
    private final byte[] aad = "subject-42\n1700000000\n1700003600".getBytes(StandardCharsets.UTF_8);

    @Test
    void bouncyCastleSeal_opensWithOurs() throws Exception {
        Hpke.KeyPair recipient = Hpke.generateKeyPair(RNG);
        byte[] pt = new byte[32];
        RNG.nextBytes(pt);
        byte[][] out = bc.seal(bc.deserializePublicKey(recipient.publicKeyBytes()), info, aad, pt, null, null, null);
        byte[] ct = out[0].length == 65 ? out[1] : out[0];
        byte[] enc = out[0].length == 65 ? out[0] : out[1];
        assertArrayEquals(pt, ours.openOrNull(recipient, enc, info, aad, ct));
    }

    @Test
    void ourSeal_opensWithBouncyCastle() throws Exception {
        AsymmetricCipherKeyPair recipient = bc.generatePrivateKey();
        byte[] pk = bc.serializePublicKey(recipient.getPublic());
        byte[] pt = "a session key of some length".getBytes(StandardCharsets.UTF_8);
        Hpke.Sealed sealed = ours.seal(pk, info, aad, pt, RNG);
        assertEquals(65, sealed.enc().length);
        assertEquals(pt.length + HpkeSuite.TAG_BYTES, sealed.ciphertext().length);
        assertArrayEquals(pt, bc.open(sealed.enc(), recipient, info, aad, sealed.ciphertext(), null, null, null));
    }
}
