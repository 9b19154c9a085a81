package io.escrow.consent;

import io.escrow.error.EscrowException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Wrong credentials per custodian: after {@code maxFailures} in a row, that custodian's
 * activations are refused for {@code lockout}, so the service cannot be used to guess a token's
 * PIN (SoftHSM, unlike most HSMs, never locks a PIN itself). Counted per replica; a correct
 * credential resets the count. Thread-safe.
 */
final class CredentialFailures {
    static final int MAX_FAILURES = 5;
    static final Duration LOCKOUT = Duration.ofMinutes(15);

    private final int maxFailures;
    private final Duration lockout;
    private final Map<String, Integer> failures = new HashMap<>();
    private final Map<String, Instant> lockedUntil = new HashMap<>();

    CredentialFailures(int maxFailures, Duration lockout) {
        if (maxFailures < 1 || lockout.isNegative() || lockout.isZero()) {
            throw new IllegalArgumentException("maxFailures must be positive and lockout longer than zero");
        }
        this.maxFailures = maxFailures;
        this.lockout = lockout;
    }

    /** Refuses while the custodian is locked out. */
    synchronized void requireNotLockedOut(String custodianId, Instant now) {
        Instant until = lockedUntil.get(custodianId);
        if (until != null && now.isBefore(until)) {
            throw new ActivationRejectedException(EscrowException.Category.PERMISSION_DENIED, "custodian " + custodianId
                    + " is locked out after " + maxFailures + " wrong credentials in a row, until " + until);
        }
        if (until != null) {
            lockedUntil.remove(custodianId);
            failures.remove(custodianId);
        }
    }

    /** Counts a wrong credential and returns the error to throw; the last allowed one starts the lockout. */
    synchronized ActivationRejectedException failed(String custodianId, Instant now) {
        int n = failures.merge(custodianId, 1, Integer::sum);
        if (n >= maxFailures) {
            lockedUntil.put(custodianId, now.plus(lockout));
            return new ActivationRejectedException(EscrowException.Category.PERMISSION_DENIED, "credential: not accepted by "
                    + "the token of " + custodianId + "; " + n + " wrong credentials in a row lock its activations until "
                    + now.plus(lockout));
        }
        return new ActivationRejectedException(EscrowException.Category.PERMISSION_DENIED,
                "credential: not accepted by the token of " + custodianId + " (" + (maxFailures - n) + " attempts left)");
    }

    synchronized void succeeded(String custodianId) {
        failures.remove(custodianId);
    }
}
