package io.escrow.deposit;

import io.escrow.error.EscrowException;

/** Too many deposits are waiting for commit; the caller should retry with backoff. */
public final class DepositOverloadedException extends EscrowException {
    public DepositOverloadedException(int queued) {
        super(Category.UNAVAILABLE, "deposit queue is full (" + queued + " waiting); retry with backoff");
    }
}
