package io.escrow.merkle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrontierTest {
    private static byte[] leaf(int i) {
        return ("leaf-" + i).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void resume_fromSavedEdge_givesTheSameRootsAsTheWholeTree() {
        MemoryNodes all = new MemoryNodes();
        for (int size = 0; size <= 70; size++) {
            Frontier f = new Frontier();
            for (int i = 0; i < size; i++) {
                f.append(leaf(i));
            }
            Frontier resumed = Frontier.resume(size, f.edge());
            assertArrayEquals(MerkleTree.root(all, size), resumed.root(), "size " + size);
            resumed.append(leaf(size));
            all.appendLeaf(leaf(size));
            assertArrayEquals(MerkleTree.root(all, size + 1), resumed.root(), "size " + (size + 1) + " after resuming at " + size);
        }
    }

    @Test
    void resume_withAnEdgeOfTheWrongLength_fails() {
        Frontier f = new Frontier();
        for (int i = 0; i < 5; i++) {
            f.append(leaf(i));
        }
        assertThrows(IllegalArgumentException.class, () -> Frontier.resume(7, f.edge()));
        assertThrows(IllegalArgumentException.class, () -> Frontier.resume(-1, List.of()));
    }
}
