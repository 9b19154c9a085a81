package io.escrow.merkle;

import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.LongFunction;

/**
 * Finds where a replayed log stops matching a signed tree, by bisection over prefix sizes, with a
 * verifier's {@link SparseNodes}: first over sizes that are whole blocks (which need no leaf
 * hashes), then inside the one block left, whose leaf hashes are fetched once.
 */
public final class FirstBadLeaf {
    private FirstBadLeaf() {}

    /**
     * @param good a prefix size known to be intact
     * @param bad a prefix size known not to be (at most {@code tree.size()})
     * @param blockLeafHashes the leaf hashes of the block starting at the given index, as many as
     *        exist up to {@code bad}
     * @param intact whether the prefix of the given size, with the given recomputed root, is
     *        consistent with the signed tree (in practice: a consistency proof from the service)
     * @return the largest intact prefix size found: the index of the first leaf that is not intact
     */
    public static long find(long good, long bad, SparseNodes tree, LongFunction<List<byte[]>> blockLeafHashes,
                            BiPredicate<Long, byte[]> intact) {
        if (good < 0 || good >= bad || bad > tree.size()) {
            throw new IllegalArgumentException("need 0 <= good < bad <= " + tree.size() + ", got " + good + " and " + bad);
        }
        long lo = good;
        long hi = bad;
        while (true) {
            long mid = (lo + (hi - lo) / 2) / SparseNodes.BLOCK * SparseNodes.BLOCK;
            if (mid <= lo) {
                mid = (lo / SparseNodes.BLOCK + 1) * SparseNodes.BLOCK;
            }
            if (mid >= hi) {
                break;
            }
            if (intact.test(mid, MerkleTree.root(tree, mid))) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if (hi - lo <= 1) {
            return lo;
        }
        // No whole block lies strictly between lo and hi: both are in the block starting here.
        long start = lo / SparseNodes.BLOCK * SparseNodes.BLOCK;
        List<byte[]> hashes = blockLeafHashes.apply(start);
        NodeSource nodes = tree.withBlock(start, hashes.subList(0, (int) Math.min(hashes.size(), hi - start)));
        while (hi - lo > 1) {
            long mid = lo + (hi - lo) / 2;
            if (intact.test(mid, MerkleTree.root(nodes, mid))) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
