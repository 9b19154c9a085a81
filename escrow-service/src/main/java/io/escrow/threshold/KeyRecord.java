package io.escrow.threshold;

import java.math.BigInteger;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.math.ec.ECPoint;

/**
 * The public record of one escrow key, as the ceremony leaves it: nothing here is secret.
 * Construction checks that the pieces are consistent: the shares lie on the committed polynomial
 * and the scaled constant term gives the public key, so a tampered record cannot be loaded.
 *
 * @param scale       M = (n-1)!; tokens hold shares of d/M (see {@link ThresholdParameters#shareScale})
 * @param commitments Feldman commitments to the polynomial whose constant term is d/M
 */
public record KeyRecord(
        String keyId,
        ECPoint publicKey,
        ThresholdParameters parameters,
        BigInteger scale,
        FeldmanCommitments commitments,
        List<CustodianShare> shares,
        Instant createdAt) {

    public KeyRecord {
        KeyId.require(keyId);
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(parameters, "parameters");
        Objects.requireNonNull(scale, "scale");
        Objects.requireNonNull(commitments, "commitments");
        Objects.requireNonNull(createdAt, "createdAt");
        shares = List.copyOf(shares);
        publicKey = publicKey.normalize();
        if (publicKey.isInfinity() || !publicKey.isValid()) {
            throw new IllegalArgumentException("key " + keyId + ": public key is not a valid P-256 point");
        }
        if (!scale.equals(parameters.shareScale())) {
            throw new IllegalArgumentException("key " + keyId + ": share scale does not match n=" + parameters.custodians());
        }
        if (commitments.threshold() != parameters.threshold()) {
            throw new IllegalArgumentException("key " + keyId + ": commitments are for t=" + commitments.threshold()
                    + " but the record says t=" + parameters.threshold());
        }
        if (shares.size() != parameters.custodians()) {
            throw new IllegalArgumentException("key " + keyId + ": " + shares.size() + " shares recorded for n=" + parameters.custodians());
        }
        if (!commitments.constantTerm().multiply(scale).normalize().equals(publicKey)) {
            throw new IllegalArgumentException("key " + keyId + ": commitments do not match the public key");
        }
        Set<String> ids = new HashSet<>();
        Set<Integer> indices = new HashSet<>();
        for (CustodianShare s : shares) {
            if (!ids.add(s.custodianId())) {
                throw new IllegalArgumentException("key " + keyId + ": custodian " + s.custodianId() + " appears twice");
            }
            if (!indices.add(s.index()) || s.index() > parameters.custodians()) {
                throw new IllegalArgumentException("key " + keyId + ": share index " + s.index() + " is duplicated or above n");
            }
            if (!commitments.verifyPublicShare(s.index(), s.publicShare())) {
                throw new IllegalArgumentException("key " + keyId + ": public share of " + s.custodianId()
                        + " does not match the Feldman commitments");
            }
        }
    }

    public byte[] publicKeyBytes() {
        return P256.encodeUncompressed(publicKey);
    }

    public int threshold() {
        return parameters.threshold();
    }

    public Optional<CustodianShare> shareOf(String custodianId) {
        return shares.stream().filter(s -> s.custodianId().equals(custodianId)).findFirst();
    }
}
