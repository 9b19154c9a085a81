package io.escrow.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.merkle.Frontier;
import io.escrow.merkle.MemoryNodes;
import io.escrow.merkle.MerkleHash;
import io.escrow.merkle.MerkleTree;
import io.escrow.storage.Database;
import io.escrow.storage.DatabaseSettings;
import io.escrow.storage.SqlArrays;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database written by the previous version (V11: every deposit leaf stored in audit_log, the
 * tree built over them) migrated to V12 and compacted: each deposit leaf is then read from its
 * row, byte for byte the leaf that was stored, so roots and proofs are unchanged; a leaf that its
 * row does not rebuild stays stored; and a retirement's archive keeps its key's leaves readable
 * after the rows are dropped.
 */
class DepositLeafCompactionTest {
    private static final Map<String, Integer> DEPOSITS = new LinkedHashMap<>(Map.of("ek-a", 6_000, "ek-b", 3_000));

    @TempDir
    Path tmp;

    private final List<String> log = new ArrayList<>();

    private DatabaseSettings settings() {
        return io.escrow.testing.OldSchemas.settings(tmp);
    }

    @Test
    void compaction_afterV12_readsEveryLeafFromItsRow_withTheSameRootsAndProofs() throws Exception {
        List<byte[]> leaves;
        int legacy;
        try (Database db = Database.open(settings(), log::add)) {
            io.escrow.testing.OldSchemas.migrateTo(db, "11");
            leaves = db.inTransaction("filling the V11 log", DepositLeafCompactionTest::fillV11);
            legacy = 1;
            db.inTransaction("building the V11 tree", c -> {
                Frontier f = new Frontier();
                List<Frontier.Node> nodes = new ArrayList<>();
                leaves.forEach(l -> nodes.addAll(f.append(l)));
                TileStore.append(c, nodes);
                try (var st = c.createStatement()) {
                    st.execute("update audit_tree set size = " + leaves.size());
                }
                return null;
            });
        }
        MemoryNodes expected = new MemoryNodes();
        leaves.forEach(expected::appendLeaf);
        long size = leaves.size();
        int depositCount = DEPOSITS.values().stream().mapToInt(Integer::intValue).sum();

        try (Database db = Database.open(settings(), log::add)) {
            assertLeaves(db, leaves, "after V12, before the compaction");
            DepositLeafCompaction compaction = new DepositLeafCompaction(db);
            assertEquals(size, compaction.progress().end());
            long removed = 0;
            long kept = 0;
            DepositLeafCompaction.Progress p;
            do {
                p = compaction.step();
                removed += p.removed();
                kept += p.kept();
            } while (!p.done());
            assertEquals(depositCount - legacy, removed, "every deposit leaf its row rebuilds goes from audit_log");
            assertEquals(legacy, kept, "a leaf its row does not rebuild stays");
            assertEquals(size - depositCount + legacy, io.escrow.testing.OldSchemas.count(db, "select count(*) from audit_log"));
            assertLeaves(db, leaves, "after the compaction");
            AuditTree tree = new AuditTree(db, () -> null, "test/origin", Clock.systemUTC());
            assertArrayEquals(MerkleTree.root(expected, size), tree.root(size));
            for (long index : new long[] {0, 1, 4_000, size - 1}) {
                assertTrue(MerkleTree.verifyInclusion(MerkleHash.leaf(leaves.get((int) index)), index, size,
                        tree.inclusionProof(index, size), MerkleTree.root(expected, size)), "proof of " + index);
            }
            assertTrue(compaction.step().done(), "a finished compaction stays finished");

            // A retirement of ek-a writes its leaves back before its rows go.
            String part = db.inTransaction("naming ek-a's partition", c -> {
                try (var rs = c.createStatement().executeQuery("select 'deposits_' || md5('ek-a')")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            assertEquals((long) DEPOSITS.get("ek-a"), DepositLeafArchive.archive(db, part, log::add));
            assertEquals(0, DepositLeafArchive.archive(db, part, log::add), "archiving again writes nothing");
            db.inTransaction("dropping ek-a's deposits", c -> {
                try (var st = c.createStatement()) {
                    st.execute("alter table deposits detach partition " + part);
                    st.execute("drop table " + part);
                }
                return null;
            });
            assertLeaves(db, leaves, "after ek-a's rows are dropped");
        }
    }

    /** The V11 log: deposits through V11's deposit_batch_v2 with their real leaves, other leaves between them, one legacy leaf. */
    private static List<byte[]> fillV11(Connection c) throws SQLException {
        SubjectHasher subjects = SubjectHasher.load(c);
        Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
        for (var e : DEPOSITS.entrySet()) {
            for (int done = 0; done < e.getValue(); done += 1_000) {
                int n = Math.min(1_000, e.getValue() - done);
                Object[][] cols = {new UUID[n], new String[n], new String[n], new String[n], new String[n], new Long[n], new Long[n],
                        new byte[n][], new byte[n][]};
                byte[][] leaf = new byte[n][];
                for (int i = 0; i < n; i++) {
                    UUID id = UUID.randomUUID();
                    String subject = "subject-" + (done + i) % 97 + "@example.org";
                    byte[] enc = new byte[65];
                    enc[0] = 4;
                    enc[1] = (byte) i;
                    byte[] ct = ("sealed " + e.getKey() + " " + (done + i)).getBytes(StandardCharsets.UTF_8);
                    long from = 1_700_000_000L + i;
                    Object[] row = {id, "prov", e.getKey() + "-" + (done + i), subject, e.getKey(), from, from + 60, enc, ct};
                    for (int k = 0; k < 9; k++) {
                        cols[k][i] = row[k];
                    }
                    leaf[i] = (done + i == 17 && e.getKey().equals("ek-b")
                            // As leaves were before payload_sha256: the row does not rebuild it.
                            ? AuditEntry.of(AuditLeaves.DEPOSIT, at, "prov", Map.of("record_id", id.toString(), "key_id", e.getKey()))
                            : AuditLeaves.deposit(at, "prov", id.toString(), subjects.hash(subject), e.getKey(), from, from + 60,
                                    AuditLeaves.payloadSha256(enc, ct))).encode();
                }
                try (PreparedStatement ps = c.prepareStatement("select count(*) from deposit_batch_v2(?::uuid[], ?::text[], ?::text[], "
                        + "?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bytea[], ?::bytea[], ?::bytea[], 'deposit', ?)")) {
                    SqlArrays.bind(c, ps, 1, new String[] {"uuid", "text", "text", "text", "text", "int8", "int8", "bytea", "bytea", "bytea"},
                            cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8], leaf);
                    ps.setTimestamp(11, Timestamp.from(at));
                    ps.executeQuery().close();
                }
                AuditAppender.appendNow(c, AuditEntry.of("warrant_filed", at, "agency", Map.of("n", Integer.toString(done))));
            }
        }
        List<byte[]> out = new ArrayList<>();
        try (var rs = c.createStatement().executeQuery("select leaf from audit_log order by idx")) {
            while (rs.next()) {
                out.add(rs.getBytes(1));
            }
        }
        return out;
    }

    private static void assertLeaves(Database db, List<byte[]> expected, String when) throws InterruptedException {
        List<AuditReader.Row> read = new ArrayList<>();
        new AuditReader(db).forEach(0, Long.MAX_VALUE, read::add);
        assertEquals(expected.size(), read.size(), when);
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(i, read.get(i).index(), when);
            assertArrayEquals(expected.get(i), read.get(i).leaf(), when + ": leaf " + i);
        }
    }
}
