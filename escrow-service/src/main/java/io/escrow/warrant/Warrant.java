package io.escrow.warrant;

import java.time.Instant;
import java.util.List;

/**
 * A filed warrant as stored. {@code recorded} is the last recorded fact (OPEN while none of
 * REVOKED, EXPIRED, EXHAUSTED applies); {@link #state} derives PENDING or ACTIVE from the
 * approvals, the policy and the clock.
 */
public record Warrant(
        String warrantId,
        WarrantSpec spec,
        byte[] signedBytes,
        String filedBy,
        Instant filedAt,
        Recorded recorded,
        List<Approval> approvals,
        int recordsReleased) {

    /** The stored part of the state. */
    public enum Recorded { OPEN, REVOKED, EXPIRED, EXHAUSTED }

    public Warrant {
        signedBytes = signedBytes.clone();
        approvals = List.copyOf(approvals);
    }

    @Override
    public byte[] signedBytes() {
        return signedBytes.clone();
    }

    public WarrantState state(Instant now, WarrantPolicy policy) {
        return switch (recorded) {
            case REVOKED -> WarrantState.REVOKED;
            case EXHAUSTED -> WarrantState.EXHAUSTED;
            case EXPIRED -> WarrantState.EXPIRED;
            case OPEN -> {
                if (now.getEpochSecond() >= spec.notAfter()) {
                    yield WarrantState.EXPIRED;
                }
                yield policy.isMetBy(approvals) && now.getEpochSecond() >= spec.notBefore()
                        ? WarrantState.ACTIVE : WarrantState.PENDING;
            }
        };
    }

    /** Why this warrant is not active, for FAILED_PRECONDITION messages. */
    public String whyNotActive(Instant now, WarrantPolicy policy) {
        WarrantState s = state(now, policy);
        return switch (s) {
            case ACTIVE -> "warrant " + warrantId + " is active";
            case PENDING -> {
                List<String> missing = policy.missing(approvals);
                yield "warrant " + warrantId + " is PENDING: " + (missing.isEmpty()
                        ? "it is not valid before " + Instant.ofEpochSecond(spec.notBefore())
                        : "approvals missing from " + String.join(", ", missing));
            }
            case REVOKED -> "warrant " + warrantId + " is REVOKED";
            case EXPIRED -> "warrant " + warrantId + " is EXPIRED (not_after " + Instant.ofEpochSecond(spec.notAfter()) + ")";
            case EXHAUSTED -> "warrant " + warrantId + " is EXHAUSTED: all " + spec.maxRecords() + " records were released";
        };
    }
}
