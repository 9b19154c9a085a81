package io.escrow.merkle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SparseNodesTest {
    private static final int SIZE = 5_000;

    static byte[] leaf(int i) {
        return ("leaf-" + i).getBytes(StandardCharsets.UTF_8);
    }

    static List<byte[]> blockHashes(List<byte[]> leaves, long start) {
        List<byte[]> out = new ArrayList<>();
        for (long i = start; i < Math.min(leaves.size(), start + SparseNodes.BLOCK); i++) {
            out.add(MerkleHash.leaf(leaves.get((int) i)));
        }
        return out;
    }

    @Test
    void roots_atEverySize_equalThoseOfTheWholeTree() {
        MemoryNodes whole = new MemoryNodes();
        SparseNodes sparse = new SparseNodes();
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < SIZE; i++) {
            leaves.add(leaf(i));
            whole.appendLeaf(leaf(i));
            sparse.appendLeaf(leaf(i));
            assertArrayEquals(whole.root(), sparse.root(), "frontier root at " + (i + 1));
        }
        for (long m = 1; m <= SIZE; m++) {
            long start = (m - 1) / SparseNodes.BLOCK * SparseNodes.BLOCK;
            NodeSource nodes = m % SparseNodes.BLOCK == 0 ? sparse : sparse.withBlock(start, blockHashes(leaves, start));
            assertArrayEquals(MerkleTree.root(whole, m), MerkleTree.root(nodes, m), "root of size " + m);
        }
    }

    @Test
    void perfect_belowTheBlockLevel_withoutItsBlock_isRefused() {
        SparseNodes sparse = new SparseNodes();
        for (int i = 0; i < 300; i++) {
            sparse.appendLeaf(leaf(i));
        }
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.root(sparse, 299));
        assertThrows(IllegalArgumentException.class, () -> sparse.withBlock(100, List.of()));
        assertThrows(IllegalArgumentException.class, () -> sparse.perfect(SparseNodes.BLOCK_LEVEL, 1));
    }
}
