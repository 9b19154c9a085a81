package io.escrow.threshold;

import java.math.BigInteger;
import java.util.List;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Feldman commitments C_j = a_j·G to the coefficients of a Shamir polynomial. They are public:
 * each custodian checks its share s_i against them ({@code s_i·G == Σ C_j·i^j}) without learning
 * anything about the other shares.
 */
public final class FeldmanCommitments {
    private final List<ECPoint> points;

    public FeldmanCommitments(List<ECPoint> points) {
        if (points.size() < 2) {
            throw new IllegalArgumentException("a threshold polynomial has at least two coefficients");
        }
        for (ECPoint p : points) {
            if (p == null || p.isInfinity() || !p.isValid()) {
                throw new IllegalArgumentException("a Feldman commitment is not a valid finite P-256 point");
            }
        }
        this.points = points.stream().map(ECPoint::normalize).toList();
    }

    public List<ECPoint> points() {
        return points;
    }

    /** The threshold t, which is the number of polynomial coefficients. */
    public int threshold() {
        return points.size();
    }

    /** C_0 = a_0·G: the public image of the shared secret. */
    public ECPoint constantTerm() {
        return points.get(0);
    }

    /** Σ C_j·i^j: the public share that the holder of index i must have. */
    public ECPoint expectedPublicShare(int index) {
        BigInteger x = BigInteger.valueOf(index);
        BigInteger power = BigInteger.ONE;
        ECPoint acc = P256.CURVE.getInfinity();
        for (ECPoint c : points) {
            acc = acc.add(c.multiply(power));
            power = power.multiply(x).mod(P256.ORDER);
        }
        return acc.normalize();
    }

    /** True when {@code share} lies on the committed polynomial. */
    public boolean verify(ShamirShare share) {
        ECPoint claimed = P256.G.multiply(share.value().toBigInteger()).normalize();
        return claimed.equals(expectedPublicShare(share.index()));
    }

    /** True when {@code publicShare} is the committed public share for {@code index}. */
    public boolean verifyPublicShare(int index, ECPoint publicShare) {
        return publicShare.normalize().equals(expectedPublicShare(index));
    }
}
