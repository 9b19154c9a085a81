package io.escrow.threshold;

import io.escrow.error.EscrowException;

/** A ceremony was asked to create a key_id that already exists in the registry or a token. */
public final class KeyAlreadyExistsException extends EscrowException {
    public KeyAlreadyExistsException(String message) {
        super(Category.ALREADY_EXISTS, message);
    }
}
