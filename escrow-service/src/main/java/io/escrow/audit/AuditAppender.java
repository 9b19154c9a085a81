package io.escrow.audit;

import io.escrow.storage.SqlArrays;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;

/**
 * Appends audit leaves inside the caller's transaction. {@link #lockHead} takes the row lock on
 * audit_head, which every writer of every replica must take first: indexes are therefore
 * gap-free and linear, and the leaf commits or rolls back together with the action it records.
 */
public final class AuditAppender {
    private AuditAppender() {}

    /** Locks the log head for this transaction and returns the next free index. */
    public static long lockHead(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select next_index from audit_head where id = 1 for update");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("audit_head row is missing");
            }
            return rs.getLong(1);
        }
    }

    /** Locks the head and appends {@code entries}; returns the index of the first. */
    public static long appendNow(Connection c, List<AuditEntry> entries) throws SQLException {
        long first = lockHead(c);
        append(c, first, entries);
        return first;
    }

    /** Locks the head and appends one entry; returns its index. */
    public static long appendNow(Connection c, AuditEntry entry) throws SQLException {
        return appendNow(c, List.of(entry));
    }

    /** Writes {@code entries} at firstIndex, firstIndex+1, ... and advances the head. */
    public static void append(Connection c, long firstIndex, List<AuditEntry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        List<AuditReader.Row> rows = new java.util.ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            AuditEntry e = entries.get(i);
            rows.add(new AuditReader.Row(firstIndex + i, e.time(), e.type(), e.actor(), e.encode()));
        }
        insert(c, rows, false);
        try (PreparedStatement ps = c.prepareStatement("update audit_head set next_index = ? where id = 1")) {
            ps.setLong(1, firstIndex + entries.size());
            ps.executeUpdate();
        }
    }

    /**
     * Inserts rows into audit_log as they are, without touching the head; with
     * {@code skipExisting}, a row whose index is taken is left out. Returns how many were written.
     */
    static int insert(Connection c, List<AuditReader.Row> rows, boolean skipExisting) throws SQLException {
        int n = rows.size();
        Long[] idx = new Long[n];
        Timestamp[] at = new Timestamp[n];
        String[] type = new String[n];
        String[] actor = new String[n];
        byte[][] leaf = new byte[n][];
        for (int i = 0; i < n; i++) {
            AuditReader.Row r = rows.get(i);
            idx[i] = r.index();
            at[i] = Timestamp.from(r.time());
            type[i] = r.type();
            actor[i] = r.actor();
            leaf[i] = r.leaf();
        }
        try (PreparedStatement ps = c.prepareStatement(
                "insert into audit_log (idx, logged_at, type, actor, leaf) "
                        + "select * from unnest(?::bigint[], ?::timestamptz[], ?::text[], ?::text[], ?::bytea[])"
                        + (skipExisting ? " on conflict (idx) do nothing" : ""))) {
            SqlArrays.bind(c, ps, 1, new String[] {"bigint", "timestamptz", "text", "text", "bytea"}, idx, at, type, actor, leaf);
            return ps.executeUpdate();
        }
    }
}
