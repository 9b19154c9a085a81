package io.escrow.merkle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.escrow.testing.Vectors;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

/** RFC 9162 Merkle math against the RFC 9162 / transparency-dev vectors, and properties over random sizes. */
class MerkleTreeTest {
    private static final JsonNode V = Vectors.load("rfc9162-merkle.json");

    private static MemoryNodes tree(int size) {
        MemoryNodes t = new MemoryNodes();
        for (int i = 0; i < size; i++) {
            t.appendLeaf(Hex.decode(V.get("leaves").get(i).asText()));
        }
        return t;
    }

    private static List<byte[]> hexList(JsonNode array) {
        List<byte[]> out = new ArrayList<>();
        array.forEach(n -> out.add(Hex.decode(n.asText())));
        return out;
    }

    private static void assertSameHashes(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.stream().map(Hex::toHexString).toList(), actual.stream().map(Hex::toHexString).toList());
    }

    @Test
    void root_matchesVectorsForEverySize() {
        JsonNode roots = V.get("roots_by_size");
        for (int size = 0; size < roots.size(); size++) {
            MemoryNodes t = tree(size);
            byte[] expected = Hex.decode(roots.get(size).asText());
            assertArrayEquals(expected, t.root(), "frontier root, size " + size);
            assertArrayEquals(expected, MerkleTree.root(t, size), "recursive root, size " + size);
        }
    }

    @Test
    void inclusionProof_matchesVectorsAndVerifies() {
        for (JsonNode c : V.get("inclusion")) {
            long index = c.get("leaf_index").asLong();
            int size = c.get("tree_size").asInt();
            MemoryNodes t = tree(size);
            List<byte[]> expected = hexList(c.get("proof"));
            assertSameHashes(expected, MerkleTree.inclusionProof(t, index, size));
            byte[] leaf = MerkleHash.leaf(Hex.decode(V.get("leaves").get((int) index).asText()));
            assertTrue(MerkleTree.verifyInclusion(leaf, index, size, expected, t.root()), c.toString());
        }
    }

    @Test
    void consistencyProof_matchesVectorsAndVerifies() {
        for (JsonNode c : V.get("consistency")) {
            int first = c.get("first").asInt();
            int second = c.get("second").asInt();
            MemoryNodes t = tree(second);
            List<byte[]> expected = hexList(c.get("proof"));
            assertSameHashes(expected, MerkleTree.consistencyProof(t, first, second));
            assertTrue(MerkleTree.verifyConsistency(first, second, MerkleTree.root(t, first), t.root(), expected), c.toString());
        }
    }

    @Test
    void proofs_forRandomSizes_verify_andFailWhenAnythingChanges() {
        Random rnd = new Random(9162);
        MemoryNodes t = new MemoryNodes();
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            byte[] leaf = new byte[1 + rnd.nextInt(40)];
            rnd.nextBytes(leaf);
            leaves.add(leaf);
            t.appendLeaf(leaf);
        }
        for (int trial = 0; trial < 300; trial++) {
            long size = 1 + rnd.nextInt(3000);
            long index = rnd.nextInt((int) size);
            byte[] root = MerkleTree.root(t, size);
            List<byte[]> path = MerkleTree.inclusionProof(t, index, size);
            byte[] leafHash = MerkleHash.leaf(leaves.get((int) index));
            assertTrue(MerkleTree.verifyInclusion(leafHash, index, size, path, root));
            assertFalse(MerkleTree.verifyInclusion(MerkleHash.leaf(new byte[] {1, 2}), index, size, path, root));
            if (size > 1) {
                assertFalse(MerkleTree.verifyInclusion(leafHash, (index + 1) % size, size, path, root));
            }
            long first = 1 + rnd.nextInt((int) size);
            List<byte[]> cons = MerkleTree.consistencyProof(t, first, size);
            byte[] firstRoot = MerkleTree.root(t, first);
            assertTrue(MerkleTree.verifyConsistency(first, size, firstRoot, root, cons), first + " -> " + size);
            if (first < size) {
                assertFalse(MerkleTree.verifyConsistency(first, size, MerkleHash.leaf(new byte[] {9}), root, cons));
            }
        }
    }

    @Test
    void frontier_resumedFromStoredNodes_continuesTheSameTree() {
        MemoryNodes all = new MemoryNodes();
        for (int i = 0; i < 1000; i++) {
            all.appendLeaf(new byte[] {(byte) i, (byte) (i >> 8)});
        }
        MemoryNodes first = new MemoryNodes();
        for (int i = 0; i < 777; i++) {
            first.appendLeaf(new byte[] {(byte) i, (byte) (i >> 8)});
        }
        Frontier resumed = Frontier.resume(777, first);
        for (int i = 777; i < 1000; i++) {
            resumed.append(new byte[] {(byte) i, (byte) (i >> 8)});
        }
        assertArrayEquals(all.root(), resumed.root());
    }

    @Test
    void proofs_outsideTheTree_areRejected() {
        MemoryNodes t = tree(5);
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.inclusionProof(t, 5, 5));
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.consistencyProof(t, 6, 5));
        assertThrows(IllegalArgumentException.class, () -> t.perfect(1, 2));
        assertFalse(MerkleTree.verifyInclusion(new byte[32], 5, 5, List.of(), t.root()));
    }
}
