package io.escrow.threshold;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Shamir secret sharing over the P-256 group order, with Feldman commitments.
 * Every precondition is checked before any arithmetic happens.
 */
public final class Shamir {
    private Shamir() {}

    /** The shares of one split and the public commitments they verify against. */
    public record Sharing(List<ShamirShare> shares, FeldmanCommitments commitments) {}

    /**
     * Splits {@code secret} into {@code params.custodians()} shares, any
     * {@code params.threshold()} of which recover it. Share i is f(i) for i = 1..n.
     */
    public static Sharing split(SecretScalar secret, ThresholdParameters params, SecureRandom rng) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(rng, "rng");
        int t = params.threshold();
        BigInteger[] coefficients = new BigInteger[t];
        coefficients[0] = secret.toBigInteger();
        for (int j = 1; j < t; j++) {
            coefficients[j] = randomNonZeroScalar(rng);
        }
        List<ECPoint> commitments = new ArrayList<>(t);
        for (BigInteger a : coefficients) {
            commitments.add(P256.G.multiply(a));
        }
        List<ShamirShare> shares = new ArrayList<>(params.custodians());
        for (int i = 1; i <= params.custodians(); i++) {
            BigInteger value = evaluate(coefficients, i);
            if (value.signum() == 0) {
                // Probability ~2^-256; a zero share would make its token's ECDH output the identity.
                return split(secret, params, rng);
            }
            shares.add(new ShamirShare(i, SecretScalar.of(value)));
        }
        return new Sharing(List.copyOf(shares), new FeldmanCommitments(commitments));
    }

    /**
     * Recovers the secret from at least {@code threshold} shares with distinct indices. Shares
     * beyond the threshold are used too; they must lie on the same polynomial.
     */
    public static SecretScalar combine(List<ShamirShare> shares, int threshold) {
        Objects.requireNonNull(shares, "shares");
        if (threshold < 2) {
            throw new InvalidThresholdException("threshold t=" + threshold + " is below 2");
        }
        if (shares.size() < threshold) {
            throw new InvalidThresholdException(
                    "combine needs at least t=" + threshold + " shares, got " + shares.size());
        }
        Set<Integer> seen = new HashSet<>();
        int[] indices = new int[shares.size()];
        for (int k = 0; k < shares.size(); k++) {
            ShamirShare s = Objects.requireNonNull(shares.get(k), "share " + k);
            if (!seen.add(s.index())) {
                throw new IllegalArgumentException("duplicate share index " + s.index());
            }
            indices[k] = s.index();
        }
        BigInteger[] lambda = Lagrange.coefficientsAtZero(indices);
        BigInteger acc = BigInteger.ZERO;
        for (int k = 0; k < shares.size(); k++) {
            acc = acc.add(lambda[k].multiply(shares.get(k).value().toBigInteger()));
        }
        acc = acc.mod(P256.ORDER);
        if (acc.signum() == 0) {
            throw new IllegalArgumentException("the shares combine to zero, which is never a valid secret");
        }
        return SecretScalar.of(acc);
    }

    public static BigInteger randomNonZeroScalar(SecureRandom rng) {
        BigInteger k;
        do {
            k = new BigInteger(P256.ORDER.bitLength(), rng);
        } while (!P256.isNonZeroScalar(k));
        return k;
    }

    private static BigInteger evaluate(BigInteger[] coefficients, int x) {
        BigInteger bx = BigInteger.valueOf(x);
        BigInteger acc = BigInteger.ZERO;
        for (int j = coefficients.length - 1; j >= 0; j--) {
            acc = acc.multiply(bx).add(coefficients[j]).mod(P256.ORDER);
        }
        return acc;
    }
}
