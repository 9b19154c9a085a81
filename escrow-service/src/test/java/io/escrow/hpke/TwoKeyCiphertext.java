package io.escrow.hpke;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Test material: one HPKE ciphertext that opens under two different DH values, because AES-GCM
 * does not commit to its key ("invisible salamanders"). With the AEAD keys and nonces of both
 * contexts known, a one-block ciphertext C is solved for so that both GCM tags agree:
 * tag_i = (S_i + C)·H_i² + L·H_i + E_Ki(J0_i), linear in C over GF(2^128).
 */
public final class TwoKeyCiphertext {
    private static final BigInteger R = new BigInteger("E1", 16).shiftLeft(120);
    private static final BigInteger ONE = BigInteger.ONE.shiftLeft(127);

    private TwoKeyCiphertext() {}

    /** A 16-byte plaintext's ciphertext (32 bytes with the tag) that opens under both dh values. */
    public static byte[] craft(Hpke hpke, byte[] dh1, byte[] dh2, byte[] enc, byte[] recipientPublicKey, byte[] info, byte[] aad)
            throws Exception {
        byte[][] k1 = keyAndNonce(hpke, dh1, enc, recipientPublicKey, info);
        byte[][] k2 = keyAndNonce(hpke, dh2, enc, recipientPublicKey, info);
        BigInteger h1 = block(aes(k1[0], new byte[16]));
        BigInteger h2 = block(aes(k2[0], new byte[16]));
        BigInteger lengths = BigInteger.valueOf(aad.length * 8L).shiftLeft(64).or(BigInteger.valueOf(128));
        BigInteger const1 = constantPart(h1, aad, lengths, k1);
        BigInteger const2 = constantPart(h2, aad, lengths, k2);
        BigInteger c = multiply(const1.xor(const2), inverse(multiply(h1, h1).xor(multiply(h2, h2))));
        BigInteger tag = multiply(ghashAad(h1, aad).xor(c), multiply(h1, h1)).xor(multiply(lengths, h1)).xor(block(aes(k1[0], j0(k1[1]))));
        return ByteBuffer.allocate(32).put(bytes(c)).put(bytes(tag)).array();
    }

    /** Everything in tag_i except the C·H_i² term. */
    private static BigInteger constantPart(BigInteger h, byte[] aad, BigInteger lengths, byte[][] keyNonce) throws Exception {
        return multiply(ghashAad(h, aad), multiply(h, h)).xor(multiply(lengths, h)).xor(block(aes(keyNonce[0], j0(keyNonce[1]))));
    }

    private static BigInteger ghashAad(BigInteger h, byte[] aad) {
        BigInteger y = BigInteger.ZERO;
        for (int off = 0; off < aad.length; off += 16) {
            byte[] b = new byte[16];
            System.arraycopy(aad, off, b, 0, Math.min(16, aad.length - off));
            y = multiply(y.xor(block(b)), h);
        }
        return y;
    }

    static byte[][] keyAndNonce(Hpke hpke, byte[] dh, byte[] enc, byte[] pkR, byte[] info) {
        byte[] shared = hpke.sharedSecretFromDh(dh, enc, pkR);
        HpkeSuite suite = hpke.suite();
        byte[] secret = LabeledHkdf.labeledExtract(suite.hpkeSuiteId(), shared, "secret", new byte[0]);
        byte[] context = hpke.keyScheduleContext(info);
        return new byte[][] {LabeledHkdf.labeledExpand(suite.hpkeSuiteId(), secret, "key", context, suite.nk()),
            LabeledHkdf.labeledExpand(suite.hpkeSuiteId(), secret, "base_nonce", context, HpkeSuite.NN)};
    }

    private static byte[] j0(byte[] nonce) {
        return ByteBuffer.allocate(16).put(nonce).putInt(1).array();
    }

    private static byte[] aes(byte[] key, byte[] block) throws Exception {
        Cipher c = Cipher.getInstance("AES/ECB/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        return c.doFinal(block);
    }

    /** GF(2^128) product in GCM's bit order (SP 800-38D, Algorithm 1): the first bit is the x^0 coefficient. */
    static BigInteger multiply(BigInteger x, BigInteger y) {
        BigInteger z = BigInteger.ZERO;
        BigInteger v = y;
        for (int i = 127; i >= 0; i--) {
            if (x.testBit(i)) {
                z = z.xor(v);
            }
            v = v.testBit(0) ? v.shiftRight(1).xor(R) : v.shiftRight(1);
        }
        return z;
    }

    /** a^(2^128 - 2) = a^-1 for a ≠ 0. */
    static BigInteger inverse(BigInteger a) {
        BigInteger r = ONE;
        for (int bit = 127; bit >= 0; bit--) {
            r = multiply(r, r);
            if (bit > 0) {
                r = multiply(r, a);
            }
        }
        return r;
    }

    static BigInteger one() {
        return ONE;
    }

    private static BigInteger block(byte[] b) {
        return new BigInteger(1, b);
    }

    private static byte[] bytes(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[16];
        int n = Math.min(16, raw.length);
        System.arraycopy(raw, raw.length - n, out, 16 - n, n);
        return out;
    }
}
