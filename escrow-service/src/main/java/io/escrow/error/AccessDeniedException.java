package io.escrow.error;

/** The caller's role does not allow this call, or the caller is not identified at all. */
public final class AccessDeniedException extends EscrowException {
    public AccessDeniedException(String message) {
        super(Category.PERMISSION_DENIED, message);
    }
}
