package io.escrow.consent;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CredentialFailuresTest {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    @Test
    void failed_threeTimesInARow_locksOutThatCustodianOnly_untilTheLockoutEnds() {
        CredentialFailures f = new CredentialFailures(3, Duration.ofMinutes(15));
        f.failed("custodian-1", T0);
        f.failed("custodian-1", T0);
        assertDoesNotThrow(() -> f.requireNotLockedOut("custodian-1", T0));
        assertTrue(f.failed("custodian-1", T0).getMessage().contains("lock its activations until"));
        ActivationRejectedException e = assertThrows(ActivationRejectedException.class,
                () -> f.requireNotLockedOut("custodian-1", T0.plusSeconds(60)));
        assertTrue(e.getMessage().contains("locked out"), e.getMessage());
        assertDoesNotThrow(() -> f.requireNotLockedOut("custodian-2", T0));
        assertDoesNotThrow(() -> f.requireNotLockedOut("custodian-1", T0.plus(Duration.ofMinutes(15))));
        // The lockout's end also clears the count: one more failure does not lock again.
        f.failed("custodian-1", T0.plus(Duration.ofMinutes(16)));
        assertDoesNotThrow(() -> f.requireNotLockedOut("custodian-1", T0.plus(Duration.ofMinutes(16))));
    }

    @Test
    void succeeded_resetsTheCount() {
        CredentialFailures f = new CredentialFailures(2, Duration.ofMinutes(1));
        f.failed("custodian-1", T0);
        f.succeeded("custodian-1");
        f.failed("custodian-1", T0);
        assertDoesNotThrow(() -> f.requireNotLockedOut("custodian-1", T0));
    }

    @Test
    void new_withoutAPositiveLimitOrLockout_fails() {
        assertThrows(IllegalArgumentException.class, () -> new CredentialFailures(0, Duration.ofMinutes(1)));
        assertThrows(IllegalArgumentException.class, () -> new CredentialFailures(3, Duration.ZERO));
    }
}
