package io.escrow.merkle;

import java.util.ArrayList;
import java.util.List;

/**
 * Every perfect-subtree hash of a tree, in memory (about 64 bytes per leaf): what a verifier
 * builds while replaying a log, so it can compute any root or proof without the server.
 */
public final class MemoryNodes implements NodeSource {
    private static final int CHUNK = 1 << 16;
    /** levels.get(l) holds the hashes of level l, packed 32 bytes each in chunks. */
    private final List<List<byte[]>> levels = new ArrayList<>();
    private final Frontier frontier = new Frontier();

    public long size() {
        return frontier.size();
    }

    public void appendLeaf(byte[] leaf) {
        for (Frontier.Node n : frontier.append(leaf)) {
            put(n.level(), n.index(), n.hash());
        }
    }

    public byte[] root() {
        return frontier.root();
    }

    private void put(int level, long index, byte[] hash) {
        while (levels.size() <= level) {
            levels.add(new ArrayList<>());
        }
        List<byte[]> chunks = levels.get(level);
        int chunk = (int) (index / CHUNK);
        while (chunks.size() <= chunk) {
            chunks.add(new byte[CHUNK * MerkleHash.SIZE]);
        }
        System.arraycopy(hash, 0, chunks.get(chunk), (int) (index % CHUNK) * MerkleHash.SIZE, MerkleHash.SIZE);
    }

    @Override
    public byte[] perfect(int level, long index) {
        if (((index + 1) << level) > size()) {
            throw new IllegalArgumentException("subtree " + level + "/" + index + " is not complete at size " + size());
        }
        byte[] out = new byte[MerkleHash.SIZE];
        System.arraycopy(levels.get(level).get((int) (index / CHUNK)), (int) (index % CHUNK) * MerkleHash.SIZE, out, 0,
                MerkleHash.SIZE);
        return out;
    }
}
