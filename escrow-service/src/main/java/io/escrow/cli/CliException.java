package io.escrow.cli;

/**
 * A failure escrowctl reports as one line and an exit code (contract §4): 1 when something was
 * refused or did not verify, 2 when the command line itself cannot work (a missing file, a
 * missing option, an unreadable PIN source).
 */
final class CliException extends RuntimeException {
    static final int REFUSED = 1;
    static final int USAGE = 2;

    private final int exitCode;

    private CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    static CliException usage(String message) {
        return new CliException(USAGE, message);
    }

    static CliException refused(String message) {
        return new CliException(REFUSED, message);
    }

    int exitCode() {
        return exitCode;
    }
}
