package io.escrow.threshold;

import io.escrow.error.EscrowException;

/** A (t, n) pair that cannot define a useful threshold scheme. */
public final class InvalidThresholdException extends EscrowException {
    public InvalidThresholdException(String message) {
        super(Category.INVALID_ARGUMENT, message);
    }
}
