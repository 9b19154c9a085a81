package io.escrow.threshold;

import io.escrow.error.EscrowException;

/** A byte string that claims to be a P-256 point is not a valid, non-identity point. */
public final class InvalidPointException extends EscrowException {
    public InvalidPointException(String field, String problem) {
        super(Category.INVALID_ARGUMENT, field + ": " + problem);
    }
}
