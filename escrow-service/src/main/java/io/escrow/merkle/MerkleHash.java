package io.escrow.merkle;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** RFC 9162 §2.1.1 hashing: leaves and interior nodes are domain-separated by a prefix byte. */
public final class MerkleHash {
    public static final int SIZE = 32;
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private MerkleHash() {}

    /** The root of the empty tree: SHA-256 of nothing. */
    public static byte[] empty() {
        return SHA256.get().digest();
    }

    /** SHA-256(0x00 || leaf). */
    public static byte[] leaf(byte[] leaf) {
        MessageDigest md = SHA256.get();
        md.update((byte) 0x00);
        return md.digest(leaf);
    }

    /** SHA-256(0x01 || left || right). */
    public static byte[] node(byte[] left, byte[] right) {
        MessageDigest md = SHA256.get();
        md.update((byte) 0x01);
        md.update(left);
        return md.digest(right);
    }
}
