package io.escrow.threshold;

import java.math.BigInteger;
import java.util.Arrays;
import javax.security.auth.Destroyable;

/**
 * A secret P-256 scalar (the escrow private key or one Shamir share) that never prints and can
 * be wiped. It keeps the value as bytes so that {@link #destroy()} really clears it; arithmetic
 * needs {@link #toBigInteger()}, whose result cannot be wiped, so callers keep such values local
 * and short-lived.
 */
public final class SecretScalar implements Destroyable {
    private final byte[] value;
    private boolean destroyed;

    private SecretScalar(byte[] value) {
        this.value = value;
    }

    /** Wraps a scalar in [1, order-1]. */
    public static SecretScalar of(BigInteger s) {
        if (!P256.isNonZeroScalar(s)) {
            throw new IllegalArgumentException("a secret scalar must be in [1, order-1]");
        }
        return new SecretScalar(P256.scalarBytes(s));
    }

    public BigInteger toBigInteger() {
        checkLive();
        return new BigInteger(1, value);
    }

    /** A copy of the 32-byte big-endian value; the caller must wipe it. */
    public byte[] toBytes() {
        checkLive();
        return value.clone();
    }

    @Override
    public void destroy() {
        Arrays.fill(value, (byte) 0);
        destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    private void checkLive() {
        if (destroyed) {
            throw new IllegalStateException("secret scalar was destroyed");
        }
    }

    @Override
    public String toString() {
        return "SecretScalar[redacted]";
    }
}
