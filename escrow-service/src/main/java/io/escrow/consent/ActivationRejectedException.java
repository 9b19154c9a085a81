package io.escrow.consent;

import io.escrow.error.EscrowException;

/** An activation that cannot be granted for a reason other than a malformed field. */
public final class ActivationRejectedException extends EscrowException {
    public ActivationRejectedException(Category category, String message) {
        super(category, message);
    }
}
