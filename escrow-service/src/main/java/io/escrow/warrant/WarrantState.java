package io.escrow.warrant;

/** Contract §2's warrant states. PENDING and ACTIVE are derived; the others are recorded facts. */
public enum WarrantState {
    PENDING,
    ACTIVE,
    REVOKED,
    EXPIRED,
    EXHAUSTED;

    /** A warrant in a final state never changes again. */
    public boolean isFinal() {
        return this == REVOKED || this == EXPIRED || this == EXHAUSTED;
    }
}
