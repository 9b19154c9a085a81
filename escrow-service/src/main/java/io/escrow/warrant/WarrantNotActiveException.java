package io.escrow.warrant;

import io.escrow.error.EscrowException;

/** The warrant is not in a state that allows the request (contract: FAILED_PRECONDITION). */
public final class WarrantNotActiveException extends EscrowException {
    public WarrantNotActiveException(String message) {
        super(Category.FAILED_PRECONDITION, message);
    }
}
