package io.escrow.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.storage.Database;
import io.escrow.storage.DatabaseSettings;
import io.escrow.testing.OldSchemas;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading deposit leaves by index range must descend a B-tree, not scan a BRIN index: measured at
 * 50.8 million deposits, the BRIN read of 1,000 fresh leaves took 837 ms (unsummarized ranges)
 * and 4.4 ms even when summarized, growing with the table (V13).
 */
class LeafRangeIndexTest {
    private static final String PARTITION_INDEXES =
            "select count(*) from pg_inherits where inhparent = 'deposits_in_log_order'::regclass";

    @TempDir
    Path tmp;

    private final List<String> log = new ArrayList<>();

    private DatabaseSettings settings() {
        return OldSchemas.settings(tmp);
    }

    @Test
    void rangeRead_afterV13_usesTheLogOrderBtreeOfEveryPartition() throws Exception {
        try (Database db = Database.open(settings(), log::add)) {
            OldSchemas.migrateTo(db, "12");
            db.inTransaction("filling two keys", c -> fill(c, "ek-a", 0) + fill(c, "ek-b", 20_000));
            String v12 = db.inTransaction("explaining", LeafRangeIndexTest::rangePlan);
            assertTrue(v12.contains("Bitmap"), "at V12 the range read goes through the BRIN index: " + v12);
        }
        try (Database db = Database.open(settings(), log::add)) {
            String v13 = db.inTransaction("explaining", LeafRangeIndexTest::rangePlan);
            assertFalse(v13.contains("Bitmap"), v13);
            assertTrue(v13.contains("Index Scan using deposits_") && v13.contains("_in_log_order"), v13);
            assertEquals(2, OldSchemas.count(db, PARTITION_INDEXES), "every key's partition has the index");
            // A key's first deposit after V13 makes its partition, which gets the index on attach.
            db.inTransaction("a third key", c -> fill(c, "ek-c", 40_000));
            assertEquals(3, OldSchemas.count(db, PARTITION_INDEXES), "a new partition has the index");
            assertEquals(1, OldSchemas.count(db, "select count(*) from pg_index where indexrelid = 'deposits_in_log_order'::regclass "
                    + "and indisvalid"), "the partitioned index is valid");
        }
    }

    private static int fill(Connection c, String keyId, long firstIndex) throws SQLException {
        try (var st = c.createStatement()) {
            st.execute("select deposit_partition('" + keyId + "')");
            return st.executeUpdate("insert into deposits (audit_index, deposited_at, covers_from, covers_until, record_id, "
                    + "provider, provider_record_id, subject_id, key_id, enc, ciphertext) select " + firstIndex + " + i, now(), 0, 1, "
                    + "gen_random_uuid(), 'p', 'r' || i, 's-' || (i % 7), '" + keyId + "', '\\x00', '\\x00' "
                    + "from generate_series(0, 19999) i");
        }
    }

    /** The plan of LeafRange's deposit query for 1,000 leaves, with sequential scans priced out. */
    private static String rangePlan(Connection c) throws SQLException {
        try (var st = c.createStatement()) {
            st.execute("analyze deposits");
            st.execute("set local enable_seqscan = off");
        }
        StringBuilder plan = new StringBuilder();
        try (var ps = c.prepareStatement("explain " + LeafRange.DEPOSITS_IN_RANGE)) {
            ps.setLong(1, 30_000);
            ps.setLong(2, 31_000);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
        }
        return plan.toString();
    }
}
