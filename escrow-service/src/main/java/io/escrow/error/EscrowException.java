package io.escrow.error;

/**
 * Base of every error the service reports on purpose. Each subclass names the problem in its
 * message, and carries the {@link Category} that the transport edge turns into a gRPC status.
 * Messages must never contain secrets: no PINs, keys, shares or plaintext.
 */
public abstract class EscrowException extends RuntimeException {

    /** What kind of failure this is, independent of any transport. */
    public enum Category {
        INVALID_ARGUMENT,
        NOT_FOUND,
        ALREADY_EXISTS,
        PERMISSION_DENIED,
        FAILED_PRECONDITION,
        UNAVAILABLE,
        /** A per-caller quota is used up; other callers are unaffected. */
        RESOURCE_EXHAUSTED,
        INTERNAL
    }

    private final Category category;

    protected EscrowException(Category category, String message) {
        super(message);
        this.category = category;
    }

    protected EscrowException(Category category, String message, Throwable cause) {
        super(message, cause);
        this.category = category;
    }

    public Category category() {
        return category;
    }
}
