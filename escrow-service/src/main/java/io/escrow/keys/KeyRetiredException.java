package io.escrow.keys;

import io.escrow.error.EscrowException;

/** A key that was retired: its shares are destroyed, so nothing may be sealed to it (FAILED_PRECONDITION). */
public final class KeyRetiredException extends EscrowException {
    private final String keyId;

    public KeyRetiredException(String keyId) {
        super(Category.FAILED_PRECONDITION, "escrow key " + keyId + " is retired: its custodians destroyed their shares, "
                + "so nothing sealed to it could ever be recovered; fetch the current key with GetEscrowKey");
        this.keyId = keyId;
    }

    public String keyId() {
        return keyId;
    }
}
