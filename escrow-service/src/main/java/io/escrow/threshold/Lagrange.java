package io.escrow.threshold;

import java.math.BigInteger;

/** Lagrange interpolation at x = 0 for Shamir share indices. Pure functions. */
public final class Lagrange {
    private Lagrange() {}

    /** λ_i = Π_{j≠i} j / (j - i) mod order, for each index i in {@code indices}. */
    public static BigInteger[] coefficientsAtZero(int[] indices) {
        checkIndices(indices);
        BigInteger[] out = new BigInteger[indices.length];
        for (int k = 0; k < indices.length; k++) {
            BigInteger[] nd = numeratorAndDenominator(indices, k);
            out[k] = nd[0].mod(P256.ORDER).multiply(nd[1].mod(P256.ORDER).modInverse(P256.ORDER)).mod(P256.ORDER);
        }
        return out;
    }

    /**
     * c_i = scale · Π_{j≠i} j / (j - i) as exact signed integers. They are integers whenever
     * (n-1)! divides {@code scale} and every index is in 1..n: each |Π (j - i)| is a product of
     * distinct values from 1..i-1 and 1..n-i, which divides (i-1)!·(n-i)!, which divides (n-1)!.
     */
    public static BigInteger[] integerCoefficients(int[] indices, BigInteger scale) {
        checkIndices(indices);
        BigInteger[] out = new BigInteger[indices.length];
        for (int k = 0; k < indices.length; k++) {
            BigInteger[] nd = numeratorAndDenominator(indices, k);
            BigInteger[] qr = scale.multiply(nd[0]).divideAndRemainder(nd[1]);
            if (qr[1].signum() != 0) {
                throw new IllegalArgumentException("scale " + scale + " does not clear the Lagrange denominators");
            }
            out[k] = qr[0];
        }
        return out;
    }

    /** {Π_{j≠i} j, Π_{j≠i} (j - i)} for i = indices[k], as exact integers. */
    private static BigInteger[] numeratorAndDenominator(int[] indices, int k) {
        BigInteger num = BigInteger.ONE;
        BigInteger den = BigInteger.ONE;
        for (int m = 0; m < indices.length; m++) {
            if (m != k) {
                num = num.multiply(BigInteger.valueOf(indices[m]));
                den = den.multiply(BigInteger.valueOf(indices[m] - indices[k]));
            }
        }
        return new BigInteger[] {num, den};
    }

    private static void checkIndices(int[] indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("no share indices");
        }
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 1) {
                throw new IllegalArgumentException("share index " + indices[i] + " is not positive");
            }
            for (int j = 0; j < i; j++) {
                if (indices[i] == indices[j]) {
                    throw new IllegalArgumentException("duplicate share index " + indices[i]);
                }
            }
        }
    }
}
