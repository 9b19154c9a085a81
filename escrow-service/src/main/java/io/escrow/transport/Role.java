package io.escrow.transport;

/** What a caller may do; each client certificate maps to exactly one role. */
public enum Role {
    PROVIDER,
    AGENCY,
    AUTHORITY,
    OVERSEER,
    OPERATOR,
    CUSTODIAN
}
