package io.escrow.note;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * The text of a C2SP checkpoint (c2sp.org/tlog-checkpoint): origin, tree size, base64 root hash
 * of the RFC 6962 tree, then optional extension lines.
 */
public record Checkpoint(String origin, long size, byte[] root, List<String> extensions) {
    public static final int HASH_SIZE = 32;

    public Checkpoint {
        if (origin == null || origin.isEmpty() || origin.contains("\n")) {
            throw new NoteFormatException("a checkpoint origin must be one non-empty line");
        }
        if (size < 0) {
            throw new NoteFormatException("a tree size cannot be negative");
        }
        if (root.length != HASH_SIZE) {
            throw new NoteFormatException("a root hash has " + HASH_SIZE + " bytes, not " + root.length);
        }
        root = root.clone();
        extensions = List.copyOf(extensions);
        for (String e : extensions) {
            if (e.isEmpty() || e.contains("\n")) {
                throw new NoteFormatException("a checkpoint extension must be one non-empty line");
            }
        }
    }

    public static Checkpoint of(String origin, long size, byte[] root) {
        return new Checkpoint(origin, size, root, List.of());
    }

    @Override
    public byte[] root() {
        return root.clone();
    }

    /** The note text: origin, size, root and extension lines, each ending in a newline. */
    public String text() {
        StringBuilder b = new StringBuilder().append(origin).append('\n').append(size).append('\n')
                .append(Base64.getEncoder().encodeToString(root)).append('\n');
        extensions.forEach(e -> b.append(e).append('\n'));
        return b.toString();
    }

    public byte[] textBytes() {
        return text().getBytes(StandardCharsets.UTF_8);
    }

    public static Checkpoint parse(String text) {
        SignedNote.checkText(text);
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        if (lines.length < 3) {
            throw new NoteFormatException("a checkpoint has an origin, a size and a root hash line");
        }
        if (!lines[1].matches("0|[1-9][0-9]{0,18}")) {
            throw new NoteFormatException("a checkpoint's size must be a decimal without leading zeroes");
        }
        long size;
        try {
            size = Long.parseLong(lines[1]);
        } catch (NumberFormatException e) {
            throw new NoteFormatException("a checkpoint's size is too large");
        }
        byte[] root = NoteSignature.canonicalBase64(lines[2], "a checkpoint's root hash");
        return new Checkpoint(lines[0], size, root, List.of(lines).subList(3, lines.length));
    }

    public static Checkpoint parse(SignedNote note) {
        return parse(note.text());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Checkpoint c && c.origin.equals(origin) && c.size == size
                && java.util.Arrays.equals(c.root, root) && c.extensions.equals(extensions);
    }

    @Override
    public int hashCode() {
        return origin.hashCode() * 31 + Long.hashCode(size);
    }

    @Override
    public String toString() {
        return "Checkpoint[" + origin + " @ " + size + "]";
    }
}
