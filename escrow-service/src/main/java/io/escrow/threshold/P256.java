package io.escrow.threshold;

import java.math.BigInteger;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECFieldElement;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.BigIntegers;

/**
 * The P-256 group, backed by Bouncy Castle's constant-structure custom curve implementation.
 * Every point that arrives from outside goes through {@link #decodeUncompressed}, which is the
 * single place where the SEC1 encoding, field range, curve equation and identity are checked.
 */
public final class P256 {
    private static final X9ECParameters PARAMS = CustomNamedCurves.getByName("secp256r1");

    public static final ECCurve CURVE = PARAMS.getCurve();
    public static final ECPoint G = PARAMS.getG().normalize();
    /** The group order; Shamir shares live in the field of integers modulo this prime. */
    public static final BigInteger ORDER = PARAMS.getN();
    /** The field prime. */
    public static final BigInteger FIELD_PRIME = CURVE.getField().getCharacteristic();

    public static final int SCALAR_BYTES = 32;
    public static final int UNCOMPRESSED_BYTES = 65;

    private P256() {}

    /**
     * Parses and validates an uncompressed SEC1 point (0x04 || X || Y), rejecting everything
     * else before it can reach a token: wrong length or prefix, coordinates outside the field,
     * points off the curve (invalid-curve attacks), and the identity.
     *
     * @param field the request field being parsed, named in the error
     */
    public static ECPoint decodeUncompressed(String field, byte[] encoded) {
        if (encoded == null || encoded.length == 0) {
            throw new InvalidPointException(field, "is empty; expected a 65-byte uncompressed P-256 point");
        }
        if (encoded.length != UNCOMPRESSED_BYTES) {
            throw new InvalidPointException(field,
                    "has " + encoded.length + " bytes; expected a 65-byte uncompressed P-256 point");
        }
        if (encoded[0] != 0x04) {
            throw new InvalidPointException(field, "must start with 0x04 (uncompressed SEC1 encoding)");
        }
        BigInteger x = BigIntegers.fromUnsignedByteArray(encoded, 1, SCALAR_BYTES);
        BigInteger y = BigIntegers.fromUnsignedByteArray(encoded, 1 + SCALAR_BYTES, SCALAR_BYTES);
        if (x.compareTo(FIELD_PRIME) >= 0 || y.compareTo(FIELD_PRIME) >= 0) {
            throw new InvalidPointException(field, "has a coordinate outside the P-256 field");
        }
        if (x.signum() == 0 && y.signum() == 0) {
            throw new InvalidPointException(field, "is the point at infinity");
        }
        ECPoint point = CURVE.createPoint(x, y);
        if (!point.isValid()) {
            throw new InvalidPointException(field, "is not on the P-256 curve");
        }
        if (point.isInfinity()) {
            throw new InvalidPointException(field, "is the point at infinity");
        }
        return point.normalize();
    }

    /** SEC1 uncompressed encoding of a finite point. */
    public static byte[] encodeUncompressed(ECPoint point) {
        if (point.isInfinity()) {
            throw new IllegalArgumentException("the point at infinity has no SEC1 uncompressed encoding");
        }
        return point.getEncoded(false);
    }

    /**
     * Lifts an x-coordinate to the curve point with even y, or returns null when no point has
     * that x. ECDH in a token yields only x(d·R); the sign of y is resolved later.
     */
    public static ECPoint liftX(byte[] x) {
        if (x.length != SCALAR_BYTES) {
            return null;
        }
        BigInteger xi = BigIntegers.fromUnsignedByteArray(x);
        if (xi.compareTo(FIELD_PRIME) >= 0) {
            return null;
        }
        ECFieldElement fx = CURVE.fromBigInteger(xi);
        ECFieldElement rhs = fx.square().add(CURVE.getA()).multiply(fx).add(CURVE.getB());
        ECFieldElement y = rhs.sqrt();
        if (y == null) {
            return null;
        }
        if (y.testBitZero()) {
            y = y.negate();
        }
        return CURVE.createPoint(xi, y.toBigInteger());
    }

    /** The 32-byte big-endian x-coordinate of a normalized finite point. */
    public static byte[] xBytes(ECPoint normalized) {
        return BigIntegers.asUnsignedByteArray(SCALAR_BYTES, normalized.getAffineXCoord().toBigInteger());
    }

    /** True when {@code s} is a valid non-zero scalar. */
    public static boolean isNonZeroScalar(BigInteger s) {
        return s.signum() > 0 && s.compareTo(ORDER) < 0;
    }

    static byte[] scalarBytes(BigInteger s) {
        return BigIntegers.asUnsignedByteArray(SCALAR_BYTES, s);
    }

    static boolean constantTimeEquals(byte[] a, byte[] b) {
        return org.bouncycastle.util.Arrays.constantTimeAreEqual(a, b);
    }
}
