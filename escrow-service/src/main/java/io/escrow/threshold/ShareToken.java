package io.escrow.threshold;

import org.bouncycastle.math.ec.ECPoint;

/**
 * The threshold core's only view of a custodian's HSM. An implementation holds one custodian's
 * shares as non-extractable keys, named by key_id, and performs the scalar multiplication inside
 * the token. Failures are reported as {@link CustodianFailureException} naming the custodian.
 */
public interface ShareToken {

    /** The custodian this token belongs to, e.g. {@code custodian-2}. */
    String custodianId();

    /** True when the token holds a share for {@code keyId}. */
    boolean hasShare(String keyId);

    /**
     * Imports {@code share} for {@code keyId} as a sensitive, non-extractable, derive-only key.
     * {@code publicShare} is share·G, which implementations may need for a certificate.
     */
    void importShare(String keyId, SecretScalar share, ECPoint publicShare);

    /** Removes the share for {@code keyId}; used to roll back a ceremony that failed midway. */
    void deleteShare(String keyId);

    /**
     * x(share·P) as 32 big-endian bytes, computed inside the token. {@code point} must already
     * have been validated by {@link P256#decodeUncompressed}.
     */
    byte[] deriveX(String keyId, ECPoint point);
}
