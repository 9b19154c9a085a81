package io.escrow.consent;

import io.escrow.error.EscrowException;

/**
 * A custodian agent refused a request or could not be reached. Carries the category the agent
 * answered with (UNAVAILABLE when it did not answer) and names the custodian.
 */
public final class AgentCallException extends EscrowException {
    private final String custodianId;

    public AgentCallException(String custodianId, Category category, String message) {
        super(category, "custodian agent of " + custodianId + ": " + message);
        this.custodianId = custodianId;
    }

    public String custodianId() {
        return custodianId;
    }
}
