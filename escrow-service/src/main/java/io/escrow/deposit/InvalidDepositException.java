package io.escrow.deposit;

import io.escrow.error.EscrowException;

/** A deposit field is malformed; the message starts with the field's name. */
public final class InvalidDepositException extends EscrowException {
    private final String field;

    public InvalidDepositException(String field, String problem) {
        super(Category.INVALID_ARGUMENT, field + ": " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
