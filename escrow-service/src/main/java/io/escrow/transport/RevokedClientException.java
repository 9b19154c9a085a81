package io.escrow.transport;

import io.escrow.error.EscrowException;

/**
 * A mapped client whose certificate its CA has revoked: refused with PERMISSION_DENIED, and,
 * unlike an unidentified caller, audited under its name.
 */
final class RevokedClientException extends EscrowException {
    private final CallerIdentity caller;

    RevokedClientException(CallerIdentity caller, String message) {
        super(Category.PERMISSION_DENIED, message);
        this.caller = caller;
    }

    CallerIdentity caller() {
        return caller;
    }
}
