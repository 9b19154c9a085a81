package io.escrow.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the log's leaves by index range from where they are stored (migration V12): most in
 * {@code audit_log}, each deposit's leaf rebuilt from its {@code deposits} row. Where both hold
 * an index (a retiring key's leaves, written to audit_log before its rows are dropped; or a
 * leaf from before V12 that the compaction has not reached), the stored leaf is the one read.
 */
final class LeafRange {
    /** The most leaves one read returns: two range queries and a merge, bounded in memory. */
    static final int MAX_WINDOW = 4096;

    /** Deposits by audit-index range, through the B-tree deposits_in_log_order (V13). */
    static final String DEPOSITS_IN_RANGE = "select " + StoredDeposit.COLUMNS
            + " from deposits d where d.audit_index >= ? and d.audit_index < ?";

    private LeafRange() {}

    /**
     * The leaves at {@code from} up to (not including) {@code until}, in index order, stopping
     * before the first index neither table holds (a leaf not committed yet).
     */
    static List<AuditReader.Row> read(Connection c, SubjectHasher subjects, long from, long until) throws SQLException {
        if (until - from > MAX_WINDOW) {
            throw new IllegalArgumentException("at most " + MAX_WINDOW + " leaves a read, not " + (until - from));
        }
        int size = (int) Math.max(0, until - from);
        AuditReader.Row[] rows = new AuditReader.Row[size];
        try (PreparedStatement ps = c.prepareStatement(
                "select idx, logged_at, type, actor, leaf from audit_log where idx >= ? and idx < ?")) {
            ps.setLong(1, from);
            ps.setLong(2, until);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows[(int) (rs.getLong(1) - from)] = new AuditReader.Row(rs.getLong(1), rs.getTimestamp(2).toInstant(),
                            rs.getString(3), rs.getString(4), rs.getBytes(5));
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(DEPOSITS_IN_RANGE)) {
            ps.setLong(1, from);
            ps.setLong(2, until);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    StoredDeposit d = StoredDeposit.read(rs, 1);
                    int at = (int) (d.auditIndex() - from);
                    if (rows[at] == null) {
                        rows[at] = new AuditReader.Row(d.auditIndex(), d.depositedAt(), AuditLeaves.DEPOSIT, d.provider(),
                                d.leaf(subjects));
                    }
                }
            }
        }
        List<AuditReader.Row> out = new ArrayList<>(size);
        for (AuditReader.Row r : rows) {
            if (r == null) {
                break;
            }
            out.add(r);
        }
        return out;
    }
}
