package io.escrow.threshold;

/** A custodian that failed or answered inconsistently during one decryption, and why. */
public record CustodianFault(String custodianId, String problem) {
    @Override
    public String toString() {
        return custodianId + " (" + problem + ")";
    }
}
