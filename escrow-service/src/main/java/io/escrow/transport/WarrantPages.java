package io.escrow.transport;

import io.escrow.error.InvalidArgumentException;

/**
 * ListWarrants page tokens: opaque to clients, and only ever a position in filing order (the
 * audit index of the last warrant's filing leaf), so a token cannot widen what a caller sees.
 */
final class WarrantPages {
    static final int DEFAULT_SIZE = 50;
    private static final String PREFIX = "after:";

    private WarrantPages() {}

    static String token(long lastAuditIndex) {
        return PREFIX + lastAuditIndex;
    }

    /** The position a token continues from; the empty token starts at the beginning. */
    static long after(String token) {
        if (token.isEmpty()) {
            return -1;
        }
        if (token.startsWith(PREFIX)) {
            try {
                long index = Long.parseLong(token.substring(PREFIX.length()));
                if (index >= 0) {
                    return index;
                }
            } catch (NumberFormatException ignored) {
                // answered below
            }
        }
        throw new InvalidArgumentException("page_token", "is not a token this service issued");
    }
}
