package io.escrow.agent;

import io.escrow.error.EscrowException;

/** A custodian agent declines to act: its own checks of the evidence or of its counts failed. */
public final class AgentRefusedException extends EscrowException {
    public AgentRefusedException(String message) {
        super(Category.FAILED_PRECONDITION, message);
    }
}
