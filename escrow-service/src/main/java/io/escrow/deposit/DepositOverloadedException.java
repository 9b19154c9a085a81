package io.escrow.deposit;

import io.escrow.error.EscrowException;

/** Too many deposits are waiting for commit; the caller should retry with backoff. */
public final class DepositOverloadedException extends EscrowException {
    public DepositOverloadedException(int queued) {
        this("deposit queue is full (" + queued + " waiting); retry with backoff");
    }

    private DepositOverloadedException(String message) {
        super(Category.UNAVAILABLE, message);
    }

    /** This provider already has its share of the queue waiting; other providers are still served. */
    public static DepositOverloadedException providerShare(String provider, int share) {
        return new DepositOverloadedException("provider " + provider + " already has " + share
                + " deposits waiting for commit, its share of the queue; retry with backoff");
    }
}
