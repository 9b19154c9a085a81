package io.escrow.consent;

import java.time.Instant;

/** A custodian's consent to use their share for one warrant, as CustodianService reports it. */
public record Activation(String custodianId, String warrantId, State state, Instant expiresAt, int usesLeft) {
    public enum State { ACTIVE, EXPIRED, EXHAUSTED, DEACTIVATED, REVOKED }
}
