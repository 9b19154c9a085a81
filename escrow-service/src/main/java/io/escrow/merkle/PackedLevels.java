package io.escrow.merkle;

import java.util.ArrayList;
import java.util.List;

/** Hashes by (level, index), packed 32 bytes each into chunks, growing as nodes are put. */
final class PackedLevels {
    private final int chunk;
    /** levels.get(l) holds the hashes of level l. */
    private final List<List<byte[]>> levels = new ArrayList<>();

    PackedLevels(int chunk) {
        this.chunk = chunk;
    }

    void put(int level, long index, byte[] hash) {
        while (levels.size() <= level) {
            levels.add(new ArrayList<>());
        }
        List<byte[]> chunks = levels.get(level);
        int c = (int) (index / chunk);
        while (chunks.size() <= c) {
            chunks.add(new byte[chunk * MerkleHash.SIZE]);
        }
        System.arraycopy(hash, 0, chunks.get(c), (int) (index % chunk) * MerkleHash.SIZE, MerkleHash.SIZE);
    }

    /** A hash put before; the caller checks that it was. */
    byte[] get(int level, long index) {
        byte[] out = new byte[MerkleHash.SIZE];
        System.arraycopy(levels.get(level).get((int) (index / chunk)), (int) (index % chunk) * MerkleHash.SIZE, out, 0, MerkleHash.SIZE);
        return out;
    }
}
