package io.escrow.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.merkle.MemoryNodes;
import io.escrow.merkle.MerkleTree;
import io.escrow.storage.Database;
import io.escrow.storage.DatabaseSettings;
import io.escrow.storage.SqlArrays;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Migration V10 on a database whose tree is stored the old way (audit_nodes: every perfect
 * subtree): the tiles it writes give the same roots and proofs, and the old table is gone.
 */
class TileMigrationTest {
    /** Three tile levels' worth, and a partial tile on each. */
    private static final int SIZE = 70_001;

    @TempDir
    Path tmp;

    private final List<String> log = new ArrayList<>();

    private DatabaseSettings settings() {
        return io.escrow.testing.OldSchemas.settings(tmp);
    }

    @Test
    void v10_convertsStoredNodesToTiles_withTheSameRootsAndProofs() throws Exception {
        MemoryNodes all = new MemoryNodes();
        for (int i = 0; i < SIZE; i++) {
            all.appendLeaf(("leaf-" + i).getBytes(StandardCharsets.UTF_8));
        }
        try (Database db = Database.open(settings(), log::add)) {
            // Start again from an empty schema migrated only up to V9, as a database of the
            // previous version would be.
            io.escrow.testing.OldSchemas.migrateTo(db, "9");
            db.inTransaction("setting up the V9 tree", c -> {
                oldTree(c, all);
                return null;
            });
        }
        try (Database db = Database.open(settings(), log::add)) {
            AuditTree tree = new AuditTree(db, () -> null, "test/origin", Clock.systemUTC());
            for (long size : new long[] {1, 256, 257, 65_536, SIZE}) {
                assertArrayEquals(MerkleTree.root(all, size), tree.root(size), "root at " + size);
            }
            for (long index : new long[] {0, 255, 256, 40_000, SIZE - 1}) {
                List<byte[]> proof = tree.inclusionProof(index, SIZE);
                List<byte[]> expected = MerkleTree.inclusionProof(all, index, SIZE);
                assertEquals(expected.size(), proof.size());
                for (int i = 0; i < proof.size(); i++) {
                    assertArrayEquals(expected.get(i), proof.get(i), "proof of " + index + ", step " + i);
                }
            }
            List<byte[]> consistency = tree.consistencyProof(1_000, SIZE);
            assertTrue(MerkleTree.verifyConsistency(1_000, SIZE, MerkleTree.root(all, 1_000), MerkleTree.root(all, SIZE), consistency));
            Boolean oldTableLeft = db.inTransaction("looking for audit_nodes", c -> {
                try (var rs = c.createStatement().executeQuery("select to_regclass('audit_nodes') is not null")) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            });
            assertFalse(oldTableLeft, "audit_nodes is dropped");
        }
    }

    /** The tree as versions before V10 kept it: every perfect subtree a row of audit_nodes. */
    private static void oldTree(Connection c, MemoryNodes all) throws java.sql.SQLException {
        try (var st = c.createStatement()) {
            st.execute("update audit_tree set size = " + SIZE);
        }
        List<Short> levels = new ArrayList<>();
        List<Long> indexes = new ArrayList<>();
        List<byte[]> hashes = new ArrayList<>();
        for (int level = 0; (1L << level) <= SIZE; level++) {
            for (long i = 0; ((i + 1) << level) <= SIZE; i++) {
                levels.add((short) level);
                indexes.add(i);
                hashes.add(all.perfect(level, i));
            }
        }
        try (var ps = c.prepareStatement("insert into audit_nodes (level, idx, hash) select * from unnest(?::smallint[], ?::bigint[], ?::bytea[])")) {
            SqlArrays.bind(c, ps, 1, new String[] {"smallint", "bigint", "bytea"}, levels.toArray(Short[]::new),
                    indexes.toArray(Long[]::new), hashes.toArray(byte[][]::new));
            ps.executeUpdate();
        }
    }
}
