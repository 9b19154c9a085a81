package io.escrow.recovery;

import io.escrow.storage.SqlArrays;
import io.escrow.warrant.WarrantSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** SQL for finding in-scope deposits and recording releases; runs in the caller's transaction. */
final class ReleaseStore {
    private ReleaseStore() {}

    /**
     * The next {@code limit} deposits after {@code afterIndex} (by deposit audit index) whose
     * subject is named by the warrant and whose covers window overlaps the warrant's. One index
     * range scan per subject (a lateral join), then merged: scanning the log in order and
     * filtering by subject would read every other subject's deposits too.
     */
    static List<InScopeRecord> page(Connection c, String warrantId, WarrantSpec spec, long afterIndex, boolean onlyNew,
                                    int limit) throws SQLException {
        List<InScopeRecord> out = new ArrayList<>();
        // The planner, which cannot know how many deposits one subject has, prefers a bitmap scan
        // that reads all of them and sorts, on every page: quadratic in the subject's records.
        // Without bitmaps it walks (subject key, audit_index) in order and stops at the limit;
        // measured 10x faster for a page of 100 of 586 records, more the more a subject has.
        // Set for this transaction only (the caller's, see PagePreparer).
        try (java.sql.Statement st = c.createStatement()) {
            st.execute("set local enable_bitmapscan = off");
        }
        // Whether a record was released before is decided under the warrant's lock when the page
        // commits (ReleaseStore.released); here it only filters, for only_new.
        try (PreparedStatement ps = c.prepareStatement("select d.record_id, d.subject_id, d.key_id, d.covers_from, "
                + "d.covers_until, d.enc, d.ciphertext, d.audit_index, d.provider, d.deposited_at "
                + "from unnest(?::text[]) as s(subject) cross join lateral ("
                + "  select x.* from deposits x"
                + "  where deposit_subject_key(x.subject_id) = deposit_subject_key(s.subject) and x.subject_id = s.subject and x.covers_from <= ? and x.covers_until >= ? and x.audit_index > ?"
                + (onlyNew ? "  and not exists (select 1 from warrant_releases r where r.warrant_id = ? "
                        + "and r.record_id = x.record_id)" : "")
                + "  order by x.audit_index limit ?) d "
                + "order by d.audit_index limit ?")) {
            int p = 1;
            ps.setArray(p++, c.createArrayOf("text", spec.subjectIds().toArray()));
            ps.setLong(p++, spec.coversUntil());
            ps.setLong(p++, spec.coversFrom());
            ps.setLong(p++, afterIndex);
            if (onlyNew) {
                ps.setString(p++, warrantId);
            }
            ps.setInt(p++, limit);
            ps.setInt(p, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new InScopeRecord(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getLong(4),
                            rs.getLong(5), rs.getBytes(6), rs.getBytes(7), rs.getLong(8), rs.getString(9), rs.getTimestamp(10).toInstant()));
                }
            }
        }
        return out;
    }

    /** Which of {@code ids} this warrant has already released (read under the warrant's row lock). */
    static Set<UUID> released(Connection c, String warrantId, List<UUID> ids) throws SQLException {
        Set<UUID> out = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(
                "select record_id from warrant_releases where warrant_id = ? and record_id = any(?::uuid[])")) {
            ps.setString(1, warrantId);
            ps.setArray(2, c.createArrayOf("uuid", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getObject(1, UUID.class));
                }
            }
        }
        return out;
    }

    static void insert(Connection c, String warrantId, List<UUID> ids, List<Long> auditIndexes, Instant now) throws SQLException {
        if (ids.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("insert into warrant_releases (warrant_id, record_id, released_at, "
                + "audit_index) select ?, r, ?, a from unnest(?::uuid[], ?::bigint[]) as u(r, a)")) {
            ps.setString(1, warrantId);
            ps.setTimestamp(2, Timestamp.from(now));
            SqlArrays.bind(c, ps, 3, new String[] {"uuid", "bigint"}, ids.toArray(), auditIndexes.toArray());
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(
                "update warrants set records_released = records_released + ? where warrant_id = ?")) {
            ps.setInt(1, ids.size());
            ps.setString(2, warrantId);
            ps.executeUpdate();
        }
    }
}
