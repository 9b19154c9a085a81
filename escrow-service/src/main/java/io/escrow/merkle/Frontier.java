package io.escrow.merkle;

import java.util.ArrayList;
import java.util.List;

/**
 * The right edge of a growing tree: one perfect-subtree hash per set bit of its size. Appending
 * a leaf completes zero or more perfect subtrees, which are returned so that they can be stored;
 * the root of the current size is computed from the edge alone.
 */
public final class Frontier {
    /** A perfect subtree completed by an append. */
    public record Node(int level, long index, byte[] hash) {}

    private long size;
    /** edge[level] = hash of the perfect subtree of that level on the right edge, when bit {@code level} of size is set. */
    private final List<byte[]> edge = new ArrayList<>();

    public Frontier() {}

    /** Resumes at {@code size} from its edge hashes, lowest level first (one per set bit). */
    public static Frontier resume(long size, NodeSource nodes) {
        Frontier f = new Frontier();
        f.size = size;
        long start = 0;
        for (int level = 63; level >= 0; level--) {
            if ((size >>> level & 1) == 1) {
                long width = 1L << level;
                while (f.edge.size() <= level) {
                    f.edge.add(null);
                }
                f.edge.set(level, nodes.perfect(level, start / width));
                start += width;
            }
        }
        return f;
    }

    public long size() {
        return size;
    }

    /** The edge's hashes, one per set bit of the size, lowest level first: what {@link #resume} takes back. */
    public List<byte[]> edge() {
        List<byte[]> out = new ArrayList<>();
        for (byte[] h : edge) {
            if (h != null) {
                out.add(h.clone());
            }
        }
        return out;
    }

    /** Resumes at {@code size} from {@link #edge()} as saved; fails unless there is one hash per set bit. */
    public static Frontier resume(long size, List<byte[]> edgeHashes) {
        if (size < 0 || Long.bitCount(size) != edgeHashes.size()) {
            throw new IllegalArgumentException("a tree of size " + size + " has " + Long.bitCount(Math.max(size, 0))
                    + " edge hashes, not " + edgeHashes.size());
        }
        int[] levels = new int[edgeHashes.size()];
        for (int level = 0, i = 0; level < 64 && i < levels.length; level++) {
            if ((size >>> level & 1) == 1) {
                levels[i++] = level;
            }
        }
        return resume(size, (level, index) -> {
            for (int i = 0; i < levels.length; i++) {
                if (levels[i] == level) {
                    return edgeHashes.get(i).clone();
                }
            }
            throw new IllegalStateException("no edge hash at level " + level);
        });
    }

    /** Adds a leaf (its input bytes) and returns the perfect subtrees it completes, level 0 first. */
    public List<Node> append(byte[] leaf) {
        return appendHash(MerkleHash.leaf(leaf));
    }

    public List<Node> appendHash(byte[] leafHash) {
        List<Node> done = new ArrayList<>(2);
        long index = size;
        byte[] h = leafHash;
        int level = 0;
        done.add(new Node(0, index, h));
        while ((index >>> level & 1) == 1) {
            h = MerkleHash.node(edge.get(level), h);
            edge.set(level, null);
            level++;
            done.add(new Node(level, index >>> level, h));
        }
        while (edge.size() <= level) {
            edge.add(null);
        }
        edge.set(level, h);
        size++;
        return done;
    }

    /** The root of the tree of the current size. */
    public byte[] root() {
        byte[] r = null;
        for (byte[] h : edge) {
            if (h != null) {
                r = r == null ? h : MerkleHash.node(h, r);
            }
        }
        return r == null ? MerkleHash.empty() : r;
    }
}
