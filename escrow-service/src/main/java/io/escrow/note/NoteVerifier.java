package io.escrow.note;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Checks a note's signatures against trusted keys, as c2sp.org/signed-note requires: signatures
 * from unknown keys are ignored, a known key's signature must verify, and a note that no known
 * key signed is refused.
 */
public final class NoteVerifier {
    private NoteVerifier() {}

    /** A note signed by a known key whose signature does not verify. */
    public static final class BadSignatureException extends RuntimeException {
        private final String keyName;

        BadSignatureException(String keyName) {
            super("the signature of '" + keyName + "' on the note does not verify");
            this.keyName = keyName;
        }

        public String keyName() {
            return keyName;
        }
    }

    /**
     * The trusted keys that signed {@code note} (possibly none). Throws BadSignatureException when
     * a signature whose name and key ID match a trusted key does not verify.
     */
    public static Set<VerifierKey> signers(SignedNote note, Collection<VerifierKey> trusted) {
        byte[] text = note.textBytes();
        Set<VerifierKey> verified = new LinkedHashSet<>();
        for (NoteSignature sig : note.signatures()) {
            for (VerifierKey key : trusted) {
                if (key.matches(sig)) {
                    if (!key.verifies(text, sig)) {
                        throw new BadSignatureException(sig.keyName());
                    }
                    verified.add(key);
                }
            }
        }
        return verified;
    }

    /**
     * How many of {@code witnesses} validly cosigned the note. Only cosignature keys (type 0x04)
     * count, and a bad cosignature counts as none: a witness's word is its cosignature.
     */
    public static int validCosigners(SignedNote note, Collection<VerifierKey> witnesses) {
        byte[] text = note.textBytes();
        Set<VerifierKey> verified = new LinkedHashSet<>();
        for (NoteSignature sig : note.signatures()) {
            for (VerifierKey key : witnesses) {
                if (key.type() == VerifierKey.COSIGNATURE_V1 && key.verifies(text, sig)) {
                    verified.add(key);
                }
            }
        }
        return verified.size();
    }
}
