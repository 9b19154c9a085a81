package io.escrow.threshold;

import io.escrow.error.EscrowException;

/** A sealed record that cannot be opened: truncated, tampered, or bound to other info/aad. */
public final class CiphertextRejectedException extends EscrowException {
    public CiphertextRejectedException(String problem) {
        super(Category.INVALID_ARGUMENT, "ciphertext: " + problem);
    }
}
