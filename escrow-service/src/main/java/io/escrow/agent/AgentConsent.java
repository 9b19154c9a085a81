package io.escrow.agent;

import java.time.Instant;

/**
 * A custodian's consent to one warrant as its agent reports it.
 *
 * @param recordsOpened distinct records the agent has worked on under this warrant, over its whole life
 */
public record AgentConsent(String custodianId, String warrantId, State state, Instant expiresAt, int usesLeft,
                           int recordsOpened) {
    public enum State { ACTIVE, EXPIRED, EXHAUSTED, DEACTIVATED, REVOKED }
}
