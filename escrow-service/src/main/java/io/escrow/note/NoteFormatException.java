package io.escrow.note;

/** Bytes that are not a well-formed signed note, verifier key, checkpoint or cosignature. */
public final class NoteFormatException extends IllegalArgumentException {
    public NoteFormatException(String message) {
        super(message);
    }
}
