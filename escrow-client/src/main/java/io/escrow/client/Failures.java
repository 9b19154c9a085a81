package io.escrow.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import javax.net.ssl.SSLException;

/** The one place that turns a gRPC status into a {@link DepositException}. */
final class Failures {
    private Failures() {}

    /** Whether a stream that ended with {@code status} should be re-sent, after a backoff, on a new stream. */
    static boolean retryable(Status status) {
        if (tls(status.getCause()) != null) {
            return false;
        }
        return switch (status.getCode()) {
            case UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED, CANCELLED -> true;
            // An HTTP/2 reset or a proxy's truncated answer; the service itself never sends INTERNAL without a reference.
            case INTERNAL, UNKNOWN -> status.getDescription() == null || !status.getDescription().contains("(reference ");
            default -> false;
        };
    }

    /** The failure of a unary call, or of a stream as a whole. */
    static DepositException ofCall(String what, StatusRuntimeException e) {
        return of(what, e.getStatus());
    }

    static DepositException of(String what, Status status) {
        SSLException ssl = tls(status.getCause());
        if (ssl != null) {
            return new DepositException(DepositException.Reason.TLS, status.getCode(), what + ": the TLS handshake failed ("
                    + ssl.getMessage() + "); check that the client certificate is issued by a CA the service trusts and "
                    + "that the server's CA is the one configured", ssl);
        }
        DepositException.Reason reason = switch (status.getCode()) {
            case INVALID_ARGUMENT -> status.getDescription() != null && status.getDescription().contains("unknown escrow key")
                    ? DepositException.Reason.KEY_NOT_SERVED : DepositException.Reason.REJECTED;
            case FAILED_PRECONDITION -> DepositException.Reason.KEY_NOT_SERVED;
            case ALREADY_EXISTS -> DepositException.Reason.CONFLICT;
            case UNAUTHENTICATED, PERMISSION_DENIED -> DepositException.Reason.PERMISSION_DENIED;
            case UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED, CANCELLED -> DepositException.Reason.UNAVAILABLE;
            default -> DepositException.Reason.PROTOCOL;
        };
        String description = status.getDescription() != null ? status.getDescription()
                : status.getCause() != null ? status.getCause().toString() : "no description";
        return new DepositException(reason, status.getCode(), what + ": " + status.getCode() + " " + description, status.getCause());
    }

    private static SSLException tls(Throwable t) {
        for (int depth = 0; t != null && depth < 10; t = t.getCause(), depth++) {
            if (t instanceof SSLException ssl) {
                return ssl;
            }
        }
        return null;
    }
}
