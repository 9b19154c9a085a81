package io.escrow.warrant;

import io.escrow.error.EscrowException;

/** The authority already approved this warrant; one authority counts once. */
public final class DuplicateApprovalException extends EscrowException {
    public DuplicateApprovalException(String warrantId, String authority) {
        super(Category.ALREADY_EXISTS, "authority '" + authority + "' has already approved warrant " + warrantId
                + "; an authority counts once, however many of its signers sign");
    }
}
