package io.escrow.threshold;

import io.escrow.error.EscrowException;
import java.util.List;

/** Fewer than t custodians could take part; names each one that could not, and why. */
public final class InsufficientCustodiansException extends EscrowException {
    private final List<CustodianFault> faults;

    public InsufficientCustodiansException(String keyId, int threshold, int answered, List<CustodianFault> faults) {
        super(Category.UNAVAILABLE, "key " + keyId + " needs " + threshold + " custodians but only " + answered
                + " answered" + (faults.isEmpty() ? "" : "; unavailable: " + faults));
        this.faults = List.copyOf(faults);
    }

    public List<CustodianFault> faults() {
        return faults;
    }
}
