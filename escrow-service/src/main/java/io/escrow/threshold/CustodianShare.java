package io.escrow.threshold;

import java.util.Objects;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Public facts about one custodian's share of one key: who holds it, its Shamir index, and its
 * public image s_i·G, which the token's derive results and the Feldman commitments are checked
 * against.
 */
public record CustodianShare(String custodianId, int index, ECPoint publicShare) {
    public CustodianShare {
        Objects.requireNonNull(custodianId, "custodianId");
        if (custodianId.isBlank()) {
            throw new IllegalArgumentException("custodian id is blank");
        }
        if (index < 1 || index > ThresholdParameters.MAX_CUSTODIANS) {
            throw new IllegalArgumentException("share index " + index + " is out of range");
        }
        publicShare = P256.decodeUncompressed("public share of " + custodianId, P256.encodeUncompressed(publicShare));
    }
}
