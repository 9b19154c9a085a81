package io.escrow.merkle;

import java.util.List;

/**
 * A replayed tree in bounded memory, for a verifier: the perfect-subtree hashes of levels
 * {@link #BLOCK_LEVEL} and up (one per 256 leaves, then one per 512, ...: about 0.25 bytes per
 * leaf, 12 MiB for 50 million leaves, against 64 bytes per leaf for {@link MemoryNodes}) and the
 * running frontier. A root of a size that is a multiple of {@link #BLOCK} needs nothing else; any
 * other size also needs the leaf hashes of its last block, which the caller fetches again
 * ({@link #withBlock}).
 */
public final class SparseNodes implements NodeSource {
    public static final int BLOCK_LEVEL = 8;
    public static final int BLOCK = 1 << BLOCK_LEVEL;
    /** Level l's hashes at l - BLOCK_LEVEL; chunks of 128 KiB, so the sparse upper levels take little. */
    private final PackedLevels levels = new PackedLevels(1 << 12);
    private final Frontier frontier = new Frontier();

    public long size() {
        return frontier.size();
    }

    public byte[] root() {
        return frontier.root();
    }

    public void appendLeaf(byte[] leaf) {
        for (Frontier.Node n : frontier.append(leaf)) {
            if (n.level() >= BLOCK_LEVEL) {
                levels.put(n.level() - BLOCK_LEVEL, n.index(), n.hash());
            }
        }
    }

    @Override
    public byte[] perfect(int level, long index) {
        if (level < BLOCK_LEVEL) {
            throw new IllegalArgumentException("level " + level + " is not kept; supply the leaves of its block (withBlock)");
        }
        if (((index + 1) << level) > size()) {
            throw new IllegalArgumentException("subtree " + level + "/" + index + " is not complete at size " + size());
        }
        return levels.get(level - BLOCK_LEVEL, index);
    }

    /**
     * This tree's nodes with the levels below {@link #BLOCK_LEVEL} computed from the leaf hashes
     * of one block: {@code leafHashes.get(i)} is the hash of leaf {@code blockStart + i}. Serves
     * every node of {@code MerkleTree.root(.., m)} for blockStart &lt; m ≤ blockStart + leafHashes.size().
     */
    public NodeSource withBlock(long blockStart, List<byte[]> leafHashes) {
        if (blockStart % BLOCK != 0 || leafHashes.size() > BLOCK) {
            throw new IllegalArgumentException("a block starts at a multiple of " + BLOCK + " and holds at most " + BLOCK + " leaves");
        }
        List<byte[]> hashes = List.copyOf(leafHashes);
        return (level, index) -> {
            if (level >= BLOCK_LEVEL) {
                return perfect(level, index);
            }
            long first = (index << level) - blockStart;
            long count = 1L << level;
            if (first < 0 || first + count > hashes.size()) {
                throw new IllegalArgumentException("subtree " + level + "/" + index + " is outside the block at " + blockStart);
            }
            return hashRange(hashes, (int) first, (int) count);
        };
    }

    private static byte[] hashRange(List<byte[]> hashes, int first, int count) {
        if (count == 1) {
            return hashes.get(first);
        }
        int half = count / 2;
        return MerkleHash.node(hashRange(hashes, first, half), hashRange(hashes, first + half, half));
    }
}
