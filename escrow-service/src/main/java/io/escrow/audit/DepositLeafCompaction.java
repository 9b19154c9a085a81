package io.escrow.audit;

import io.escrow.storage.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Removes from audit_log the deposit leaves stored there before migration V12, once each is seen
 * to equal the leaf rebuilt from its deposits row: from then on the row alone is the leaf
 * ({@link LeafRange}). A leaf that does not equal its rebuild (or whose row is gone) stays where
 * it is, so no leaf is ever lost or changed; only a second copy is.
 *
 * <p>Online and resumable: each step is one transaction over a slice of indexes that records how
 * far it got in {@code audit_leaf_compaction}, so replicas running it at once take turns and a
 * restart goes on where it stopped. A step takes the lock a retirement takes before it writes its
 * key's leaves back to audit_log, and skips retired keys, so it never removes a leaf whose row is
 * about to be dropped.
 */
public final class DepositLeafCompaction {
    /** Indexes checked in one step. */
    static final int SLICE = 4096;
    /** Also taken by a retirement writing its key's leaves to audit_log (RetirementStore). */
    public static final String LOCK = "select pg_advisory_xact_lock(hashtext('escrow.deposit_leaves'))";

    /** Where the compaction stands; {@code next == end} when it is done. */
    public record Progress(long next, long end, long removed, long kept) {
        public boolean done() {
            return next >= end;
        }
    }

    private final Database db;

    public DepositLeafCompaction(Database db) {
        this.db = db;
    }

    /** How far it got, without doing anything. */
    public Progress progress() {
        return db.inTransaction("reading the leaf compaction's progress", c -> {
            long[] at = position(c, false).orElse(new long[] {0, 0});
            return new Progress(at[0], at[1], 0, 0);
        });
    }

    /** One step over the next slice; its counts are of this step alone. */
    public Progress step() {
        return db.inTransaction("compacting deposit leaves", this::step);
    }

    private Progress step(Connection c) throws SQLException {
        try (PreparedStatement lock = c.prepareStatement(LOCK)) {
            lock.execute();
        }
        Optional<long[]> at = position(c, true);
        if (at.isEmpty() || at.get()[0] >= at.get()[1]) {
            return at.map(p -> new Progress(p[0], p[1], 0, 0)).orElse(new Progress(0, 0, 0, 0));
        }
        long from = at.get()[0];
        long end = at.get()[1];
        long until = Math.min(end, from + SLICE);
        Map<Long, byte[]> stored = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("select idx, leaf from audit_log where idx >= ? and idx < ? and type = ?")) {
            ps.setLong(1, from);
            ps.setLong(2, until);
            ps.setString(3, AuditLeaves.DEPOSIT);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stored.put(rs.getLong(1), rs.getBytes(2));
                }
            }
        }
        List<Long> removable = new ArrayList<>();
        if (!stored.isEmpty()) {
            SubjectHasher subjects = SubjectHasher.load(c);
            try (PreparedStatement ps = c.prepareStatement("select " + StoredDeposit.COLUMNS + " from deposits d "
                    + "where d.audit_index >= ? and d.audit_index < ? "
                    + "and not exists (select 1 from retired_keys r where r.key_id = d.key_id)")) {
                ps.setLong(1, from);
                ps.setLong(2, until);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        StoredDeposit d = StoredDeposit.read(rs, 1);
                        byte[] leaf = stored.get(d.auditIndex());
                        if (leaf != null && java.util.Arrays.equals(leaf, d.leaf(subjects))) {
                            removable.add(d.auditIndex());
                        }
                    }
                }
            }
        }
        if (!removable.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("delete from audit_log where idx = any(?::bigint[])")) {
                ps.setArray(1, c.createArrayOf("int8", removable.toArray()));
                ps.executeUpdate();
            }
        }
        try (PreparedStatement ps = c.prepareStatement("update audit_leaf_compaction set next_index = ? where id = 1")) {
            ps.setLong(1, until);
            ps.executeUpdate();
        }
        return new Progress(until, end, removable.size(), stored.size() - removable.size());
    }

    /** [next_index, end_index], or empty when the table has no row (a database that never had V12's). */
    private static Optional<long[]> position(Connection c, boolean lock) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select next_index, end_index from audit_leaf_compaction where id = 1"
                + (lock ? " for update" : ""))) {
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new long[] {rs.getLong(1), rs.getLong(2)}) : Optional.empty();
            }
        }
    }
}
