package io.escrow.audit;

import io.escrow.note.Checkpoint;
import io.escrow.note.NoteSignature;
import io.escrow.note.SignedNote;
import io.escrow.note.VerifierKey;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A published tree head: the C2SP checkpoint body {@code <origin>\n<size>\n<base64 root>\n}, its
 * DER ECDSA P-256/SHA-256 signature, the DER SubjectPublicKeyInfo of the signing key, the
 * Ed25519 signature and key (absent on heads older than the Ed25519 key), and the witnesses'
 * cosignatures. {@link #note()} renders all of them as one C2SP signed note.
 */
public record SignedTreeHead(long size, byte[] root, byte[] checkpoint, byte[] signature, byte[] publicKey, Instant publishedAt,
        byte[] ed25519Signature, byte[] ed25519PublicKey, List<NoteSignature> cosignatures) {

    public SignedTreeHead {
        cosignatures = List.copyOf(cosignatures);
        if ((ed25519Signature == null) != (ed25519PublicKey == null)) {
            throw new IllegalArgumentException("an Ed25519 signature needs its key, and a key its signature");
        }
    }

    /** A head with the ECDSA signature only. */
    public SignedTreeHead(long size, byte[] root, byte[] checkpoint, byte[] signature, byte[] publicKey, Instant publishedAt) {
        this(size, root, checkpoint, signature, publicKey, publishedAt, null, null, List.of());
    }

    public static byte[] checkpointBody(String origin, long size, byte[] root) {
        return Checkpoint.of(origin, size, root).textBytes();
    }

    /** Parses a checkpoint body of exactly origin, size and root; throws IllegalArgumentException when it is not one. */
    public static Parsed parse(byte[] checkpoint) {
        Checkpoint c = Checkpoint.parse(new String(checkpoint, StandardCharsets.UTF_8));
        if (!c.extensions().isEmpty()) {
            throw new IllegalArgumentException("not a checkpoint body: expected origin, size and root lines only");
        }
        return new Parsed(c.origin(), c.size(), c.root());
    }

    public record Parsed(String origin, long size, byte[] root) {}

    public String origin() {
        return parse(checkpoint).origin();
    }

    /** The log's note verifier keys: ECDSA (0x02), then Ed25519 (0x01) when this head has one. */
    public List<VerifierKey> logKeys() {
        String origin = origin();
        List<VerifierKey> keys = new ArrayList<>();
        keys.add(VerifierKey.ecdsa(origin, publicKey));
        if (ed25519PublicKey != null) {
            keys.add(VerifierKey.ed25519(origin, ed25519PublicKey));
        }
        return keys;
    }

    /** The log's own signature lines, ECDSA first. */
    public List<NoteSignature> logSignatures() {
        List<VerifierKey> keys = logKeys();
        List<NoteSignature> sigs = new ArrayList<>();
        sigs.add(new NoteSignature(keys.get(0).name(), keys.get(0).keyId(), signature));
        if (ed25519Signature != null) {
            sigs.add(new NoteSignature(keys.get(1).name(), keys.get(1).keyId(), ed25519Signature));
        }
        return sigs;
    }

    /** The checkpoint as a signed note: the log's signatures, then every cosignature. */
    public SignedNote note() {
        List<NoteSignature> sigs = logSignatures();
        sigs.addAll(cosignatures);
        return SignedNote.of(new String(checkpoint, StandardCharsets.UTF_8), sigs);
    }

    /** This head with {@code more} cosignatures. */
    public SignedTreeHead withCosignatures(List<NoteSignature> more) {
        List<NoteSignature> all = new ArrayList<>(cosignatures);
        more.stream().filter(s -> !all.contains(s)).forEach(all::add);
        return new SignedTreeHead(size, root, checkpoint, signature, publicKey, publishedAt, ed25519Signature, ed25519PublicKey, all);
    }

    @Override
    public String toString() {
        return "SignedTreeHead[size " + size + ", root " + Base64.getEncoder().encodeToString(root) + ", "
                + cosignatures.size() + " cosignature(s)]";
    }
}
