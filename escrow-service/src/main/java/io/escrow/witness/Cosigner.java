package io.escrow.witness;

import io.escrow.note.Cosignatures;
import io.escrow.note.NoteSignature;
import io.escrow.note.VerifierKey;

/** A witness's Ed25519 key, wherever it is held, and the cosignature/v1 lines it makes. */
public interface Cosigner {
    /** The witness's name, the key name of its cosignature lines. */
    String name();

    /** The 32-byte Ed25519 public key. */
    byte[] publicKey();

    /** An Ed25519 signature over {@code message}. */
    byte[] signEd25519(byte[] message);

    /** The cosignature verifier key (type 0x04) that clients configure. */
    default VerifierKey verifierKey() {
        return VerifierKey.cosignature(name(), publicKey());
    }

    /** A cosignature line over {@code checkpointText}, stating {@code time} (seconds since the epoch). */
    default NoteSignature cosign(byte[] checkpointText, long time) {
        byte[] sig = signEd25519(Cosignatures.message(time, checkpointText));
        return new NoteSignature(name(), verifierKey().keyId(), Cosignatures.timestamped(time, sig));
    }
}
