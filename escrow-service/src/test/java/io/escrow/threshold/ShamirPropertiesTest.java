package io.escrow.threshold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Example;

/** Property-based tests of Shamir split and combine over the P-256 order. */
class ShamirPropertiesTest {

    record Case(int t, int n, long seed) {}

    @Provide
    Arbitrary<Case> schemes() {
        Arbitrary<Integer> n = Arbitraries.integers().between(2, ThresholdParameters.MAX_CUSTODIANS);
        return n.flatMap(nn -> Combinators.combine(
                Arbitraries.integers().between(2, Math.min(nn, ThresholdParameters.MAX_THRESHOLD)),
                Arbitraries.longs()).as((t, seed) -> new Case(t, nn, seed)));
    }

    private static SecureRandom rng(long seed) {
        SecureRandom r;
        try {
            r = SecureRandom.getInstance("SHA1PRNG");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        r.setSeed(seed);
        return r;
    }

    @Property(tries = 60)
    void combine_ofAnyTSubset_recoversSecret(@ForAll("schemes") Case c) {
        SecureRandom rng = rng(c.seed());
        SecretScalar secret = SecretScalar.of(Shamir.randomNonZeroScalar(rng));
        Shamir.Sharing sharing = Shamir.split(secret, new ThresholdParameters(c.t(), c.n()), rng);
        List<ShamirShare> shuffled = new ArrayList<>(sharing.shares());
        Collections.shuffle(shuffled, new Random(c.seed()));
        assertEquals(secret.toBigInteger(), Shamir.combine(shuffled.subList(0, c.t()), c.t()).toBigInteger());
        assertEquals(secret.toBigInteger(), Shamir.combine(shuffled, c.t()).toBigInteger());
    }

    @Property(tries = 60)
    void combine_ofTMinusOneShares_doesNotRecoverSecret(@ForAll("schemes") Case c) {
        SecureRandom rng = rng(c.seed());
        SecretScalar secret = SecretScalar.of(Shamir.randomNonZeroScalar(rng));
        Shamir.Sharing sharing = Shamir.split(secret, new ThresholdParameters(c.t(), c.n()), rng);
        List<ShamirShare> few = sharing.shares().subList(0, c.t() - 1);
        // Interpolating t-1 points as if they defined the polynomial gives an unrelated value.
        if (few.size() >= 2) {
            assertNotEquals(secret.toBigInteger(), Shamir.combine(few, few.size()).toBigInteger());
        }
        assertThrows(InvalidThresholdException.class, () -> Shamir.combine(few, c.t()));
    }

    @Property(tries = 40)
    void everyShare_verifiesAgainstFeldmanCommitments_andATamperedOneDoesNot(@ForAll("schemes") Case c) {
        SecureRandom rng = rng(c.seed());
        SecretScalar secret = SecretScalar.of(Shamir.randomNonZeroScalar(rng));
        Shamir.Sharing sharing = Shamir.split(secret, new ThresholdParameters(c.t(), c.n()), rng);
        for (ShamirShare s : sharing.shares()) {
            assertTrue(sharing.commitments().verify(s));
        }
        ShamirShare first = sharing.shares().get(0);
        ShamirShare tampered = new ShamirShare(first.index(),
                SecretScalar.of(first.value().toBigInteger().add(BigInteger.ONE).mod(P256.ORDER)));
        assertFalse(sharing.commitments().verify(tampered));
        assertEquals(P256.G.multiply(secret.toBigInteger()).normalize(), sharing.commitments().constantTerm());
    }

    @Property(tries = 60)
    void integerCoefficients_equalScaledLagrangeModOrder(@ForAll("schemes") Case c) {
        List<Integer> all = new ArrayList<>();
        for (int i = 1; i <= c.n(); i++) {
            all.add(i);
        }
        Collections.shuffle(all, new Random(c.seed()));
        int[] subset = all.subList(0, c.t()).stream().mapToInt(Integer::intValue).toArray();
        BigInteger scale = new ThresholdParameters(c.t(), c.n()).shareScale();
        BigInteger[] lambda = Lagrange.coefficientsAtZero(subset);
        BigInteger[] ints = Lagrange.integerCoefficients(subset, scale);
        for (int k = 0; k < subset.length; k++) {
            assertEquals(lambda[k].multiply(scale).mod(P256.ORDER), ints[k].mod(P256.ORDER));
            assertTrue(ints[k].bitLength() < 128, "integer coefficient should be short, was " + ints[k].bitLength() + " bits");
        }
    }

    @Example
    void combine_withTooFewShares_fails() {
        SecureRandom rng = new SecureRandom();
        Shamir.Sharing sharing = Shamir.split(SecretScalar.of(BigInteger.TEN), new ThresholdParameters(3, 5), rng);
        assertThrows(InvalidThresholdException.class, () -> Shamir.combine(sharing.shares().subList(0, 2), 3));
    }

    @Example
    void combine_withDuplicateIndex_fails() {
        SecureRandom rng = new SecureRandom();
        Shamir.Sharing sharing = Shamir.split(SecretScalar.of(BigInteger.TEN), new ThresholdParameters(2, 3), rng);
        ShamirShare s = sharing.shares().get(0);
        assertThrows(IllegalArgumentException.class, () -> Shamir.combine(List.of(s, s), 2));
    }

    @Example
    void thresholdParameters_rejectTAboveN_tBelowTwo_andTooMany() {
        assertThrows(InvalidThresholdException.class, () -> new ThresholdParameters(4, 3));
        assertThrows(InvalidThresholdException.class, () -> new ThresholdParameters(1, 3));
        assertThrows(InvalidThresholdException.class, () -> new ThresholdParameters(0, 3));
        assertThrows(InvalidThresholdException.class, () -> new ThresholdParameters(2, 17));
        assertThrows(InvalidThresholdException.class, () -> new ThresholdParameters(11, 16));
        var e = assertThrows(InvalidThresholdException.class, () -> new ThresholdParameters(4, 3));
        assertTrue(e.getMessage().contains("t=4") && e.getMessage().contains("n=3"), e.getMessage());
    }

    @Example
    void secretScalar_neverPrintsItsValue() {
        SecretScalar s = SecretScalar.of(BigInteger.valueOf(0x1234567));
        assertFalse(s.toString().contains("1234567"));
        assertFalse(new ShamirShare(1, s).toString().contains("1234567"));
        s.destroy();
        assertThrows(IllegalStateException.class, s::toBigInteger);
    }
}
