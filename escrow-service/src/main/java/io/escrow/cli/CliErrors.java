package io.escrow.cli;

import io.escrow.error.EscrowException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.UncheckedIOException;

/** Turns whatever a command threw into the one line escrowctl prints, and its exit code. */
final class CliErrors {
    private CliErrors() {}

    record Reported(String line, int exitCode) {}

    static Reported describe(Throwable e) {
        if (e instanceof CliException c) {
            return new Reported(c.getMessage(), c.exitCode());
        }
        if (e instanceof StatusRuntimeException s) {
            return new Reported(describe(s.getStatus()), CliException.REFUSED);
        }
        if (e instanceof io.escrow.config.ConfigurationException || e instanceof io.escrow.note.NoteFormatException) {
            return new Reported(e.getMessage(), CliException.USAGE);
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException f) {
            return new Reported(f.getFile() + " already exists" + (f.getReason() == null ? "" : ": " + f.getReason()), CliException.USAGE);
        }
        if (e instanceof java.nio.file.NoSuchFileException f) {
            return new Reported(f.getFile() + " does not exist", CliException.USAGE);
        }
        if (e instanceof java.io.IOException) {
            return new Reported(e.getMessage(), CliException.USAGE);
        }
        if (e instanceof EscrowException || e instanceof IllegalStateException || e instanceof UncheckedIOException) {
            return new Reported(e.getMessage(), CliException.REFUSED);
        }
        return new Reported(e.toString(), CliException.REFUSED);
    }

    /** The service's answer as one line: what it means for the caller, then the service's own words. */
    static String describe(Status status) {
        String said = status.getDescription() == null ? "" : ": " + status.getDescription();
        return switch (status.getCode()) {
            case PERMISSION_DENIED -> "the service refused this call for your certificate's role" + said;
            case UNAUTHENTICATED -> "the service did not accept your client certificate" + said;
            case NOT_FOUND -> "not found" + said;
            case UNAVAILABLE -> "cannot reach the service" + said + rootCause(status.getCause());
            case DEADLINE_EXCEEDED -> "the service did not answer in time" + said;
            default -> "the service answered " + status.getCode() + said;
        };
    }

    private static String rootCause(Throwable t) {
        if (t == null) {
            return "";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return " (" + (root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage()) + ")";
    }
}
