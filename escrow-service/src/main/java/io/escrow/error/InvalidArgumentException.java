package io.escrow.error;

/** A request field is malformed; the message starts with the field's name. */
public class InvalidArgumentException extends EscrowException {
    private final String field;

    public InvalidArgumentException(String field, String problem) {
        super(Category.INVALID_ARGUMENT, field + ": " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
