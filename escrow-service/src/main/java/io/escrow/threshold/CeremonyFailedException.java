package io.escrow.threshold;

import io.escrow.error.EscrowException;

/** The key ceremony could not complete; every share already imported has been removed again. */
public final class CeremonyFailedException extends EscrowException {
    public CeremonyFailedException(String message, Throwable cause) {
        super(Category.FAILED_PRECONDITION, message, cause);
    }
}
