package io.escrow.storage;

import io.escrow.error.EscrowException;

/** The database could not be reached or refused a write; nothing was acknowledged. */
public final class StorageUnavailableException extends EscrowException {
    public StorageUnavailableException(String message, Throwable cause) {
        super(Category.UNAVAILABLE, "storage unavailable: " + message, cause);
    }
}
