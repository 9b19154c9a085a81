package io.escrow.client;

import io.grpc.Status;
import java.util.Optional;

/**
 * Why a deposit has no receipt. Each future the client returns completes exactly once, with a
 * {@link Receipt} or with this, and {@link #reason()} says which kind of failure it was, so a
 * caller can tell what to retry: only {@link Reason#UNAVAILABLE} and {@link Reason#CLOSED} leave a
 * deposit whose fate is unknown, and re-depositing it with the same provider_record_id is safe.
 */
public final class DepositException extends RuntimeException {

    public enum Reason {
        /** The client refused the arguments before sealing (a field is empty, too long, or out of range). */
        INVALID_ARGUMENT,
        /** The service refused the request as malformed (INVALID_ARGUMENT); the message names the field. */
        REJECTED,
        /** The provider_record_id was already deposited with other bytes (ALREADY_EXISTS). */
        CONFLICT,
        /** The key the deposit was sealed to is unknown to the service or retired; the client refreshes its key. */
        KEY_NOT_SERVED,
        /** The service's current key lacks t custodian attestations that verify against the pinned certificates. */
        UNTRUSTED_KEY,
        /** The in-flight limit was reached and the client is set to reject rather than block. */
        OVERLOADED,
        /** The TLS handshake failed: a client certificate the service does not accept, or a server the client does not trust. */
        TLS,
        /** The service does not accept this caller as a provider (UNAUTHENTICATED or PERMISSION_DENIED). */
        PERMISSION_DENIED,
        /** The service stayed unreachable for longer than the retry policy allows; the deposit may or may not be committed. */
        UNAVAILABLE,
        /** The client was closed before the service acknowledged the deposit; it may or may not be committed. */
        CLOSED,
        /** The service answered out of order or with a status the client does not expect. */
        PROTOCOL
    }

    private final Reason reason;
    private final Status.Code status;
    private final String detail;
    private final boolean neverSent;

    public DepositException(Reason reason, String message) {
        this(reason, null, message, null);
    }

    public DepositException(Reason reason, Status.Code status, String message, Throwable cause) {
        this(reason, status, message, cause, false);
    }

    private DepositException(Reason reason, Status.Code status, String message, Throwable cause, boolean neverSent) {
        super(reason + ": " + message, cause);
        this.reason = reason;
        this.status = status;
        this.detail = message;
        this.neverSent = neverSent;
    }

    /** The same failure, for a deposit that failed before it was sent (its fate is known: not deposited). */
    DepositException beforeSending() {
        return neverSent ? this : new DepositException(reason, status, detail, getCause(), true);
    }

    public Reason reason() {
        return reason;
    }

    /** The gRPC status the service (or the channel) ended the call with, when there was one. */
    public Optional<Status.Code> status() {
        return Optional.ofNullable(status);
    }

    /**
     * True when the service may have committed the deposit: re-deposit with the same
     * provider_record_id to learn its receipt. False for a deposit that failed before it was sent.
     */
    public boolean outcomeUnknown() {
        return !neverSent && (reason == Reason.UNAVAILABLE || reason == Reason.CLOSED);
    }
}
