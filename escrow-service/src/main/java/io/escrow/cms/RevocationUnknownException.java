package io.escrow.cms;

import io.escrow.error.EscrowException;

/**
 * A signer certificate's revocation status cannot be established from the configured CRLs
 * (none from its issuer, none current, or the file unreadable). The signature is refused, as
 * FAILED_PRECONDITION: the caller did nothing wrong, and retrying is useless until the operator
 * publishes a current CRL.
 */
public final class RevocationUnknownException extends EscrowException {
    public RevocationUnknownException(String message) {
        super(Category.FAILED_PRECONDITION, message);
    }
}
