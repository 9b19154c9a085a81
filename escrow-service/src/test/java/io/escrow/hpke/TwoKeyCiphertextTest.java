package io.escrow.hpke;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/** The GF(2^128) arithmetic behind the crafted two-key ciphertext. */
class TwoKeyCiphertextTest {
    @Test
    void inverse_timesItself_isOne() {
        SecureRandom rng = new SecureRandom();
        for (int i = 0; i < 20; i++) {
            BigInteger a = new BigInteger(128, rng).setBit(3);
            assertEquals(TwoKeyCiphertext.one(), TwoKeyCiphertext.multiply(a, TwoKeyCiphertext.inverse(a)));
        }
        assertEquals(TwoKeyCiphertext.one(), TwoKeyCiphertext.multiply(TwoKeyCiphertext.one(), TwoKeyCiphertext.one()));
    }
}
