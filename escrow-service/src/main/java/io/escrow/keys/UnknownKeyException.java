package io.escrow.keys;

import io.escrow.error.EscrowException;
import java.util.Collection;

/** A key_id that no ceremony has created. */
public final class UnknownKeyException extends EscrowException {
    public UnknownKeyException(String keyId, Collection<String> known) {
        super(Category.NOT_FOUND, "key_id '" + keyId + "' is not known" + (known.isEmpty() ? " (no keys yet)" : " (known: " + known + ")"));
    }
}
