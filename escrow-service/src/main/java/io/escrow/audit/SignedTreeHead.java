package io.escrow.audit;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * A published tree head: the C2SP checkpoint body {@code <origin>\n<size>\n<base64 root>\n}, its
 * DER ECDSA P-256/SHA-256 signature, and the DER SubjectPublicKeyInfo of the signing key.
 */
public record SignedTreeHead(long size, byte[] root, byte[] checkpoint, byte[] signature, byte[] publicKey, Instant publishedAt) {

    public static byte[] checkpointBody(String origin, long size, byte[] root) {
        return (origin + "\n" + size + "\n" + Base64.getEncoder().encodeToString(root) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Parses a checkpoint body; throws IllegalArgumentException when it is not one. */
    public static Parsed parse(byte[] checkpoint) {
        String text = new String(checkpoint, StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        if (lines.length != 4 || !lines[3].isEmpty() || lines[0].isEmpty()) {
            throw new IllegalArgumentException("not a checkpoint body: expected origin, size and root lines");
        }
        long size = Long.parseLong(lines[1]);
        byte[] root = Base64.getDecoder().decode(lines[2]);
        if (size < 0 || root.length != 32) {
            throw new IllegalArgumentException("bad size or root in checkpoint");
        }
        return new Parsed(lines[0], size, root);
    }

    public record Parsed(String origin, long size, byte[] root) {}
}
