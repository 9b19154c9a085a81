package io.escrow.threshold;

import java.math.BigInteger;

/**
 * A validated (t, n) pair: any t of n custodians can decrypt, t-1 cannot.
 *
 * <p>Bounds: t ≥ 2, because with t = 1 a single custodian could decrypt alone; n ≤ 16, a
 * practical ceiling for separately held HSMs; t ≤ 10, because x-only partial results leave
 * 2^(t-1) sign combinations to try per record.
 */
public record ThresholdParameters(int threshold, int custodians) {
    public static final int MAX_CUSTODIANS = 16;
    public static final int MAX_THRESHOLD = 10;

    public ThresholdParameters {
        if (threshold < 2) {
            throw new InvalidThresholdException(
                    "threshold t=" + threshold + " is below 2: a single custodian could decrypt alone");
        }
        if (threshold > custodians) {
            throw new InvalidThresholdException(
                    "threshold t=" + threshold + " is greater than the custodian count n=" + custodians);
        }
        if (custodians > MAX_CUSTODIANS) {
            throw new InvalidThresholdException(
                    "custodian count n=" + custodians + " exceeds the maximum of " + MAX_CUSTODIANS);
        }
        if (threshold > MAX_THRESHOLD) {
            throw new InvalidThresholdException(
                    "threshold t=" + threshold + " exceeds the maximum of " + MAX_THRESHOLD);
        }
    }

    /**
     * The share scale M = (n-1)!. Tokens hold a Shamir sharing of d/M instead of d, so that for
     * any t-subset the Lagrange coefficients at zero, multiplied by M, are small integers
     * ({@link Lagrange#integerCoefficients}). Combining partial ECDH results then needs only
     * short scalar multiplications on the host instead of t full-width ones per record.
     */
    public BigInteger shareScale() {
        return factorial(custodians - 1);
    }

    static BigInteger factorial(int k) {
        BigInteger f = BigInteger.ONE;
        for (int i = 2; i <= k; i++) {
            f = f.multiply(BigInteger.valueOf(i));
        }
        return f;
    }
}
