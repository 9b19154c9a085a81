package io.escrow.warrant;

import io.escrow.error.EscrowException;

public final class WarrantNotFoundException extends EscrowException {
    public WarrantNotFoundException(String warrantId) {
        super(Category.NOT_FOUND, "no warrant '" + warrantId + "'");
    }
}
