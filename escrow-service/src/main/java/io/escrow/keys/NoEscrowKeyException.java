package io.escrow.keys;

import io.escrow.error.EscrowException;

/** No ceremony has run yet, so there is no current escrow key. */
public final class NoEscrowKeyException extends EscrowException {
    public NoEscrowKeyException() {
        super(Category.FAILED_PRECONDITION, "no escrow key exists yet; an operator must run 'escrowctl ceremony'");
    }
}
