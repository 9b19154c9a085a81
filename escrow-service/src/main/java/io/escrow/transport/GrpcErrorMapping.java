package io.escrow.transport;

import io.escrow.error.EscrowException;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.ExceptionHandler;
import io.quarkus.grpc.ExceptionHandlerProvider;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The single mapping from typed errors to gRPC status. An {@link EscrowException} becomes its
 * category's status with its message (which never holds a secret). Anything else is a bug: the
 * caller gets INTERNAL with a reference, and the stack trace stays in the server log.
 */
@ApplicationScoped
public class GrpcErrorMapping implements ExceptionHandlerProvider {
    private static final Logger LOG = Logger.getLogger(GrpcErrorMapping.class);

    @Override
    public <ReqT, RespT> ExceptionHandler<ReqT, RespT> createHandler(ServerCall.Listener<ReqT> listener,
                                                                     ServerCall<ReqT, RespT> call, Metadata metadata) {
        return new ExceptionHandler<>(listener, call, metadata) {
            @Override
            protected void handleException(Throwable t, ServerCall<ReqT, RespT> call, Metadata metadata) {
                StatusException e = toStatus(t);
                call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
            }
        };
    }

    @Override
    public Throwable transform(Throwable t) {
        return toStatus(t);
    }

    public static StatusException toStatus(Throwable t) {
        // Failures that travelled through a CompletableFuture arrive wrapped.
        if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof StatusException se) {
            return se;
        }
        if (t instanceof StatusRuntimeException sre) {
            return new StatusException(sre.getStatus(), sre.getTrailers());
        }
        if (t instanceof EscrowException ee) {
            return code(ee.category()).withDescription(ee.getMessage()).asException();
        }
        String reference = UUID.randomUUID().toString();
        LOG.errorf(t, "internal error %s", reference);
        return Status.INTERNAL.withDescription("internal error (reference " + reference + ")").asException();
    }

    static Status code(EscrowException.Category category) {
        return switch (category) {
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case NOT_FOUND -> Status.NOT_FOUND;
            case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
            case UNAVAILABLE -> Status.UNAVAILABLE;
            case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
            case INTERNAL -> Status.INTERNAL;
        };
    }
}
