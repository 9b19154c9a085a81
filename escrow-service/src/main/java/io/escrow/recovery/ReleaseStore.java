package io.escrow.recovery;

import io.escrow.warrant.WarrantSpec;
import java.sql.Array;
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
     * subject is named by the warrant and whose covers window overlaps the warrant's.
     */
    static List<InScopeRecord> page(Connection c, String warrantId, WarrantSpec spec, long afterIndex, boolean onlyNew,
                                    int limit) throws SQLException {
        List<InScopeRecord> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select d.record_id, d.subject_id, d.key_id, d.covers_from, "
                + "d.covers_until, d.enc, d.ciphertext, d.audit_index, r.record_id is not null "
                + "from deposits d left join warrant_releases r on r.warrant_id = ? and r.record_id = d.record_id "
                + "where d.subject_id = any(?::text[]) and d.covers_from <= ? and d.covers_until >= ? and d.audit_index > ? "
                + (onlyNew ? "and r.record_id is null " : "")
                + "order by d.audit_index limit ?")) {
            ps.setString(1, warrantId);
            ps.setArray(2, c.createArrayOf("text", spec.subjectIds().toArray()));
            ps.setLong(3, spec.coversUntil());
            ps.setLong(4, spec.coversFrom());
            ps.setLong(5, afterIndex);
            ps.setInt(6, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new InScopeRecord(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getLong(4),
                            rs.getLong(5), rs.getBytes(6), rs.getBytes(7), rs.getLong(8), rs.getBoolean(9)));
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
            Array r = c.createArrayOf("uuid", ids.toArray());
            Array a = c.createArrayOf("bigint", auditIndexes.toArray());
            ps.setArray(3, r);
            ps.setArray(4, a);
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
