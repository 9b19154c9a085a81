package io.escrow.merkle;

/**
 * The tree stored as tiles, as Tessera and the C2SP tlog-tiles layout store it: a tile of tile
 * level L and index K holds up to 256 consecutive hashes of tree level 8L, those of nodes
 * 256K to 256K + 255. Only every eighth level is stored; a node of the seven levels between is
 * the root of at most 128 hashes of its tile, computed on read. That is about 32 bytes per leaf,
 * where storing every perfect subtree took two rows per leaf.
 */
public final class Tiles {
    /** Tree levels per tile level. */
    public static final int HEIGHT = 8;
    /** Hashes in a full tile. */
    public static final int WIDTH = 1 << HEIGHT;

    private Tiles() {}

    /** Where a tile sits: its tile level and its index on that level. */
    public record TileId(int level, long index) {
        public TileId {
            if (level < 0 || index < 0) {
                throw new IllegalArgumentException("tile " + level + "/" + index);
            }
        }
    }

    /** Whether nodes of this tree level are stored (they are the bottom row of a tile level). */
    public static boolean stored(int level) {
        return level % HEIGHT == 0;
    }

    /** The tile holding the bottom row of the perfect subtree (level, index). */
    public static TileId tileOf(int level, long index) {
        return new TileId(level / HEIGHT, (index << (level % HEIGHT)) >>> HEIGHT);
    }

    /** The position, in that tile, of the subtree's first bottom-row hash. */
    public static int offset(int level, long index) {
        return (int) ((index << (level % HEIGHT)) & (WIDTH - 1));
    }

    /**
     * The hash of the perfect subtree (level, index) from the hashes of its tile (32 bytes each,
     * from position 0), which must reach to the subtree's last bottom-row hash.
     */
    public static byte[] subtree(byte[] tile, int level, long index) {
        int count = 1 << (level % HEIGHT);
        int offset = offset(level, index);
        if (tile.length % MerkleHash.SIZE != 0 || (offset + count) * MerkleHash.SIZE > tile.length) {
            throw new IllegalArgumentException("tile " + tileOf(level, index) + " holds " + tile.length / MerkleHash.SIZE
                    + " hashes; node " + level + "/" + index + " needs positions " + offset + " to " + (offset + count - 1));
        }
        byte[][] row = new byte[count][];
        for (int i = 0; i < count; i++) {
            row[i] = java.util.Arrays.copyOfRange(tile, (offset + i) * MerkleHash.SIZE, (offset + i + 1) * MerkleHash.SIZE);
        }
        for (int width = count; width > 1; width /= 2) {
            for (int i = 0; i < width / 2; i++) {
                row[i] = MerkleHash.node(row[2 * i], row[2 * i + 1]);
            }
        }
        return row[0];
    }
}
