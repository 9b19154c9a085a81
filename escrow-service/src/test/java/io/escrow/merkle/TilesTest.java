package io.escrow.merkle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TilesTest {
    /** More than 256² leaves, so that three tile levels hold hashes. */
    private static final int SIZE = 70_001;

    @Test
    void subtree_fromTiles_equalsEveryStoredPerfectSubtree() {
        MemoryNodes all = new MemoryNodes();
        for (int i = 0; i < SIZE; i++) {
            all.appendLeaf(("leaf-" + i).getBytes(StandardCharsets.UTF_8));
        }
        Map<Tiles.TileId, ByteArrayOutputStream> tiles = new HashMap<>();
        for (int level = 0; (1L << level) <= SIZE; level += Tiles.HEIGHT) {
            for (long i = 0; ((i + 1) << level) <= SIZE; i++) {
                tiles.computeIfAbsent(Tiles.tileOf(level, i), k -> new ByteArrayOutputStream()).writeBytes(all.perfect(level, i));
            }
        }
        assertEquals(274 + 2 + 1, tiles.size(), "tiles at levels 0, 1 and 2");
        NodeSource fromTiles = (level, index) -> Tiles.subtree(tiles.get(Tiles.tileOf(level, index)).toByteArray(), level, index);
        int checked = 0;
        for (int level = 0; (1L << level) <= SIZE; level++) {
            for (long i = 0; ((i + 1) << level) <= SIZE; i += 1 + i / 64) {
                assertArrayEquals(all.perfect(level, i), fromTiles.perfect(level, i), "node " + level + "/" + i);
                checked++;
            }
        }
        assertEquals(true, checked > 2_000, "checked " + checked);
        for (long size : new long[] {1, 255, 256, 257, 65_536, 65_537, SIZE}) {
            assertArrayEquals(MerkleTree.root(all, size), MerkleTree.root(fromTiles, size), "root at " + size);
            assertEquals(MerkleTree.inclusionProof(all, size - 1, size).size(), MerkleTree.inclusionProof(fromTiles, size - 1, size).size());
        }
        assertArrayEquals(MerkleTree.consistencyProof(all, 300, SIZE).get(0), MerkleTree.consistencyProof(fromTiles, 300, SIZE).get(0));
    }

    @Test
    void tileOf_andOffset_placeNodesAsTheTileLayoutDoes() {
        assertEquals(new Tiles.TileId(0, 0), Tiles.tileOf(0, 255));
        assertEquals(new Tiles.TileId(0, 1), Tiles.tileOf(0, 256));
        assertEquals(255, Tiles.offset(0, 255));
        assertEquals(new Tiles.TileId(0, 1), Tiles.tileOf(7, 3), "level 7 node 3 covers leaves 384..511");
        assertEquals(128, Tiles.offset(7, 3));
        assertEquals(new Tiles.TileId(1, 0), Tiles.tileOf(8, 5));
        assertEquals(new Tiles.TileId(2, 3), Tiles.tileOf(16, 3 * 256 + 7));
    }

    @Test
    void subtree_beyondWhatTheTileHolds_fails() {
        byte[] threeHashes = new byte[3 * MerkleHash.SIZE];
        assertThrows(IllegalArgumentException.class, () -> Tiles.subtree(threeHashes, 2, 0), "needs positions 0..3");
        assertThrows(IllegalArgumentException.class, () -> Tiles.subtree(new byte[33], 0, 0));
        Tiles.subtree(threeHashes, 1, 0);
    }
}
