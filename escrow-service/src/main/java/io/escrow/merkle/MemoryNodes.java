package io.escrow.merkle;

/**
 * Every perfect-subtree hash of a tree, in memory (about 64 bytes per leaf), so any root or
 * proof can be computed without a server: for trees small enough to keep whole (tests,
 * benchmarks). A verifier replaying a whole log keeps {@link SparseNodes} instead.
 */
public final class MemoryNodes implements NodeSource {
    private final PackedLevels levels = new PackedLevels(1 << 16);
    private final Frontier frontier = new Frontier();

    public long size() {
        return frontier.size();
    }

    public void appendLeaf(byte[] leaf) {
        for (Frontier.Node n : frontier.append(leaf)) {
            levels.put(n.level(), n.index(), n.hash());
        }
    }

    public byte[] root() {
        return frontier.root();
    }

    @Override
    public byte[] perfect(int level, long index) {
        if (((index + 1) << level) > size()) {
            throw new IllegalArgumentException("subtree " + level + "/" + index + " is not complete at size " + size());
        }
        return levels.get(level, index);
    }
}
