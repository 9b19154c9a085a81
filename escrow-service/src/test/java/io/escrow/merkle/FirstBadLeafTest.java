package io.escrow.merkle;

import static io.escrow.merkle.SparseNodesTest.blockHashes;
import static io.escrow.merkle.SparseNodesTest.leaf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FirstBadLeafTest {
    private static final int SIZE = 5_000;

    @Test
    void find_withOneTamperedLeaf_returnsItsIndex_fetchingOneBlockAtMost() {
        for (int tampered : new int[] {0, 1, 255, 256, 1_000, 4_097, SIZE - 1}) {
            MemoryNodes honest = new MemoryNodes();
            SparseNodes replayed = new SparseNodes();
            List<byte[]> served = new ArrayList<>();
            for (int i = 0; i < SIZE; i++) {
                honest.appendLeaf(leaf(i));
                byte[] l = i == tampered ? "changed".getBytes(StandardCharsets.UTF_8) : leaf(i);
                served.add(l);
                replayed.appendLeaf(l);
            }
            AtomicInteger fetches = new AtomicInteger();
            long found = FirstBadLeaf.find(0, SIZE, replayed, start -> {
                fetches.incrementAndGet();
                return blockHashes(served, start);
            }, (m, root) -> java.util.Arrays.equals(root, MerkleTree.root(honest, m)));
            assertEquals(tampered, found, "tampered at " + tampered);
            assertEquals(1, fetches.get(), "one block fetched again for " + tampered);
        }
    }

    @Test
    void find_withGoodNotBelowBad_isRefused() {
        SparseNodes t = new SparseNodes();
        t.appendLeaf(leaf(0));
        assertThrows(IllegalArgumentException.class, () -> FirstBadLeaf.find(1, 1, t, s -> List.of(), (m, r) -> true));
        assertThrows(IllegalArgumentException.class, () -> FirstBadLeaf.find(0, 2, t, s -> List.of(), (m, r) -> true));
    }
}
