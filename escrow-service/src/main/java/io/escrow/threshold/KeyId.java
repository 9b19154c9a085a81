package io.escrow.threshold;

import java.util.regex.Pattern;

/** Validation of escrow key identifiers such as {@code ek-2026-01}. */
public final class KeyId {
    private static final Pattern SHAPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private KeyId() {}

    public static String require(String keyId) {
        if (keyId == null || !SHAPE.matcher(keyId).matches()) {
            throw new InvalidKeyIdException(keyId);
        }
        return keyId;
    }

    /** A key_id that is not 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit. */
    public static final class InvalidKeyIdException extends io.escrow.error.EscrowException {
        InvalidKeyIdException(String keyId) {
            super(Category.INVALID_ARGUMENT, "key_id: '" + (keyId == null ? "" : keyId.length() > 80 ? keyId.substring(0, 80) + "..." : keyId)
                    + "' must be 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit");
        }
    }
}
