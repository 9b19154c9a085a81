package io.escrow.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.storage.Database;
import io.escrow.storage.DatabaseSettings;
import io.escrow.storage.EmbeddedServerSettings;
import io.escrow.testing.OldSchemas;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pass over the log read by sequential scan must give exactly the leaves reading by index
 * gives, whatever the rows' physical order, and must leave the deposit path's indexes in memory.
 * One small server (shared_buffers 16 MB, so a 30 MB partition gets PostgreSQL's scan ring).
 */
class LeafStreamTest {
    private static final AuditReader.ScanPolicy ALWAYS = new AuditReader.ScanPolicy(1, 1, 8192);
    private static final AuditReader.ScanPolicy NEVER = new AuditReader.ScanPolicy(1, 0, 8192);

    @TempDir
    static Path tmp;

    private static Database db;

    @BeforeAll
    static void fill() throws Exception {
        db = Database.open(new DatabaseSettings(Optional.empty(), "postgres", "", 4, tmp.resolve("postgres"), 0,
                EmbeddedServerSettings.parse("shared_buffers=16MB")), m -> { });
        db.inTransaction("filling", c -> {
            // Two keys interleaved (a rotation's overlap), and other leaves in audit_log between them.
            deposits(c, "ek-a", 0, 60_000, 2);
            deposits(c, "ek-b", 1, 59_990, 2);
            try (var st = c.createStatement()) {
                st.execute("insert into audit_log (idx, logged_at, type, actor, leaf) select 119980 + i, now(), 'warrant_filed', "
                        + "'court', int8send(i) from generate_series(0, 19) i");
                st.execute("update audit_head set next_index = 120000 where id = 1");
                st.execute("create extension if not exists pg_buffercache");
                st.execute("create extension if not exists pg_prewarm");
            }
            return null;
        });
        try (Connection c = db.connection(); var st = c.createStatement()) {
            st.execute("vacuum analyze deposits");
        }
    }

    @AfterAll
    static void close() {
        db.close();
    }

    private static void deposits(Connection c, String keyId, long first, int count, int step) throws SQLException {
        try (var st = c.createStatement()) {
            st.execute("select deposit_partition('" + keyId + "')");
            st.executeUpdate("insert into deposits (audit_index, deposited_at, covers_from, covers_until, record_id, provider, "
                    + "provider_record_id, subject_id, key_id, enc, ciphertext) select " + first + " + i * " + step + ", now(), 0, 1, "
                    + "gen_random_uuid(), 'p', 'r' || i || '" + keyId + "', 's-' || (i % 7), '" + keyId + "', "
                    + "sha256(int8send(i)), decode(repeat(md5(i::text), 4), 'hex') from generate_series(0, " + (count - 1) + ") i "
                    // Written nearly in order, as concurrent writers leave a partition: each run of
                    // 100 rows changes places with its neighbour.
                    + "order by (i / 100) # 1, i");
        }
    }

    private static List<AuditReader.Row> byIndex(long from, long limit) throws InterruptedException {
        List<AuditReader.Row> out = new ArrayList<>();
        new AuditReader(db, NEVER).forEach(from, limit, out::add);
        return out;
    }

    private static List<AuditReader.Row> readAll(LeafStream s, int page) throws InterruptedException {
        List<AuditReader.Row> out = new ArrayList<>();
        while (s.read(page, out::add) == page) {
            // next page
        }
        return out;
    }

    private static void assertSameRows(List<AuditReader.Row> expected, List<AuditReader.Row> actual) {
        assertEquals(expected.size(), actual.size(), "rows");
        for (int i = 0; i < expected.size(); i++) {
            AuditReader.Row e = expected.get(i);
            AuditReader.Row a = actual.get(i);
            assertEquals(e.index(), a.index(), "index at " + i);
            assertEquals(e.type(), a.type(), "type at " + i);
            assertEquals(e.actor(), a.actor(), "actor at " + i);
            assertEquals(e.time(), a.time(), "time at " + i);
            assertArrayEquals(e.leaf(), a.leaf(), "leaf at " + i);
        }
    }

    @Test
    void read_bySequentialScan_givesTheLeavesReadingByIndexGives() throws Exception {
        List<AuditReader.Row> expected = byIndex(0, Long.MAX_VALUE);
        assertEquals(120_000, expected.size());
        try (LeafStream s = new AuditReader(db, ALWAYS).stream(0)) {
            assertTrue(s.scanning(), "a pass over the whole log starts with a scan");
            assertSameRows(expected, readAll(s, 1024));
            assertFalse(s.scanning(), "the scan ends once it has read every partition");
        }
    }

    @Test
    void read_withRowsFurtherOutOfPlaceThanTheScanHolds_readsThoseByIndexAndLosesNone() throws Exception {
        List<AuditReader.Row> expected = byIndex(0, Long.MAX_VALUE);
        try (LeafStream s = new AuditReader(db, new AuditReader.ScanPolicy(1, 1, 16)).stream(0)) {
            assertTrue(s.scanning());
            assertSameRows(expected, readAll(s, 1000));
        }
    }

    @Test
    void read_fromTheMiddle_givesTheRestOfTheLog() throws Exception {
        List<AuditReader.Row> expected = byIndex(50_001, Long.MAX_VALUE);
        try (LeafStream s = new AuditReader(db, ALWAYS).stream(50_001)) {
            assertTrue(s.scanning(), "over half the log lies ahead");
            assertSameRows(expected, readAll(s, 777));
        }
    }

    @Test
    void stream_overLessThanHalfTheLogOrTooFewLeaves_readsByIndex() {
        AuditReader reader = new AuditReader(db, ALWAYS);
        try (LeafStream s = reader.stream(60_001)) {
            assertFalse(s.scanning(), "less than half the log ahead");
        }
        try (LeafStream s = new AuditReader(db, new AuditReader.ScanPolicy(200_000, 1, 8192)).stream(0)) {
            assertFalse(s.scanning(), "fewer leaves ahead than the policy's minimum");
        }
        try (LeafStream s = reader.stream(120_000)) {
            assertFalse(s.scanning(), "nothing ahead");
        }
    }

    @Test
    void stream_beyondMaxScans_readsByIndex_andAClosedScanGivesItsPermitBack() {
        AuditReader reader = new AuditReader(db, ALWAYS);
        try (LeafStream first = reader.stream(0); LeafStream second = reader.stream(0)) {
            assertTrue(first.scanning());
            assertFalse(second.scanning(), "one scan at most");
            assertEquals(1, reader.openScans());
        }
        assertEquals(0, reader.openScans());
        try (LeafStream again = reader.stream(0)) {
            assertTrue(again.scanning());
        }
    }

    @Test
    void releaseScan_midPass_goesOnByIndexWithoutLosingARow() throws Exception {
        List<AuditReader.Row> expected = byIndex(0, Long.MAX_VALUE);
        AuditReader reader = new AuditReader(db, ALWAYS);
        try (LeafStream s = reader.stream(0)) {
            List<AuditReader.Row> got = new ArrayList<>();
            s.read(5_000, got::add);
            s.releaseScan();
            assertFalse(s.scanning());
            assertEquals(0, reader.openScans());
            while (s.read(4096, got::add) == 4096) {
                // next page
            }
            assertSameRows(expected, got);
        }
    }

    @Test
    void read_whenTheScansConnectionIsCut_goesOnByIndexWithoutLosingARow() throws Exception {
        List<AuditReader.Row> expected = byIndex(0, Long.MAX_VALUE);
        AuditReader reader = new AuditReader(db, ALWAYS);
        try (LeafStream s = reader.stream(0)) {
            List<AuditReader.Row> got = new ArrayList<>();
            s.read(1_000, got::add);
            assertEquals(1, OldSchemas.count(db, "select count(pg_terminate_backend(pid)) from pg_stat_activity "
                    + "where (query like '%from audit_log where idx >= $1 order by idx' or query like '%from \"deposits_%') "
                    + "and pid <> pg_backend_pid()"));
            got.addAll(readAll(s, 4096));
            assertSameRows(expected, got);
            assertFalse(s.scanning(), "the scan ended with its connection");
            assertEquals(0, reader.openScans());
        }
    }

    @Test
    void read_whenTheConsumerRefusesARow_offersItAgain() throws Exception {
        try (LeafStream s = new AuditReader(db, ALWAYS).stream(0)) {
            List<AuditReader.Row> got = new ArrayList<>();
            assertEquals(3, s.read(10, r -> got.size() < 3 && got.add(r)));
            assertEquals(3, s.next());
            assertEquals(10, s.read(10, got::add));
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L),
                    got.stream().map(AuditReader.Row::index).toList());
        }
    }

    @Test
    void read_aStoredLeafAndADepositRowAtOneIndex_givesTheStoredLeaf() throws Exception {
        // As a retirement leaves it between archiving its key's leaves and dropping its rows.
        db.inTransaction("archiving one leaf", c -> {
            try (var st = c.createStatement()) {
                return st.executeUpdate("insert into audit_log (idx, logged_at, type, actor, leaf) "
                        + "values (40000, now(), 'deposit', 'p', '\\xabcdef')");
            }
        });
        try {
            try (LeafStream s = new AuditReader(db, ALWAYS).stream(0)) {
                List<AuditReader.Row> got = readAll(s, 4096);
                assertSameRows(byIndex(0, Long.MAX_VALUE), got);
                assertArrayEquals(new byte[] {(byte) 0xab, (byte) 0xcd, (byte) 0xef}, got.get(40_000).leaf());
            }
        } finally {
            db.inTransaction("removing it", c -> c.createStatement().executeUpdate("delete from audit_log where idx = 40000"));
        }
    }

    @Test
    void read_leavesCommittedAfterTheScanBegan_areReadByIndex_andAGapEndsThePass() throws Exception {
        try (LeafStream s = new AuditReader(db, ALWAYS).stream(0)) {
            assertTrue(s.scanning());
            db.inTransaction("appending", c -> {
                try (var st = c.createStatement()) {
                    st.execute("insert into audit_log (idx, logged_at, type, actor, leaf) select 120000 + i, now(), 'warrant_filed', "
                            + "'court', int8send(i) from generate_series(0, 9) i");
                    // 120010 is not committed yet: everything after it waits.
                    st.execute("insert into audit_log (idx, logged_at, type, actor, leaf) values (120011, now(), 'x', 'y', '\\x00')");
                    return st.executeUpdate("update audit_head set next_index = 120012 where id = 1");
                }
            });
            List<AuditReader.Row> got = readAll(s, 4096);
            assertEquals(120_010, got.size(), "the ten appended after the scan began, then the gap");
            assertEquals(120_009, got.get(got.size() - 1).index());
            assertFalse(s.scanning());
        } finally {
            db.inTransaction("removing them", c -> {
                try (var st = c.createStatement()) {
                    st.execute("update audit_head set next_index = 120000 where id = 1");
                    return st.executeUpdate("delete from audit_log where idx >= 120000");
                }
            });
        }
    }

    @Test
    void read_wholeLog_bySequentialScan_leavesTheLookupIndexCached_whereReadingByIndexEvictsIt() throws Exception {
        String index = db.inTransaction("naming the index", c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("select c.relname from pg_class c where c.relkind = 'i' "
                    + "and c.relname like 'deposits%record_key%' and c.relname not like 'deposits_by%' order by c.relpages desc limit 1")) {
                rs.next();
                return rs.getString(1);
            }
        });
        double afterIndexRead = cachedShareAfter(index, NEVER);
        double afterScan = cachedShareAfter(index, ALWAYS);
        assertTrue(afterScan > 0.95, "after a scan, " + afterScan + " of " + index + " is cached");
        assertTrue(afterIndexRead < 0.5, "after a read by index, " + afterIndexRead + " of " + index + " is cached");
    }

    /** Loads {@code index} into shared buffers, reads the whole log, and says how much of the index is still there. */
    private static double cachedShareAfter(String index, AuditReader.ScanPolicy policy) throws Exception {
        long pages = OldSchemas.count(db, "select pg_prewarm('" + index + "')");
        try (LeafStream s = new AuditReader(db, policy).stream(0)) {
            assertEquals(120_000, readAll(s, 1024).size());
        }
        long cached = OldSchemas.count(db, "select count(*) from pg_buffercache b where b.relfilenode = pg_relation_filenode('"
                + index + "') and b.reldatabase = (select oid from pg_database where datname = current_database())");
        return (double) cached / pages;
    }

    @Test
    void scanPolicy_withoutPositiveBounds_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> new AuditReader.ScanPolicy(0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new AuditReader.ScanPolicy(1, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new AuditReader.ScanPolicy(1, 1, 0));
    }

    @Test
    void skipTo_backwards_isRefused() throws Exception {
        try (Connection c = db.connection()) {
            LeafScan scan = new LeafScan(c, SubjectHasher.load(db), 11, 1000);
            try {
                assertThrows(IllegalArgumentException.class, () -> scan.skipTo(10));
                assertEquals(11, scan.take().index());
            } finally {
                scan.close();
            }
        }
    }
}
