package io.escrow.threshold;

import io.escrow.error.EscrowException;

/** One custodian's token failed or refused an operation. Names the custodian, never a secret. */
public class CustodianFailureException extends EscrowException {
    private final String custodianId;

    public CustodianFailureException(String custodianId, String problem) {
        super(Category.UNAVAILABLE, "custodian " + custodianId + ": " + problem);
        this.custodianId = custodianId;
    }

    public CustodianFailureException(String custodianId, String problem, Throwable cause) {
        super(Category.UNAVAILABLE, "custodian " + custodianId + ": " + problem, cause);
        this.custodianId = custodianId;
    }

    public String custodianId() {
        return custodianId;
    }
}
