package io.escrow.warrant;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** SQL for warrants and their approvals. Every method runs inside the caller's transaction. */
public final class WarrantStore {
    private WarrantStore() {}

    public static boolean nonceUsed(Connection c, byte[] nonce) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select 1 from warrants where nonce = ?")) {
            ps.setBytes(1, nonce);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    public static void insert(Connection c, String warrantId, WarrantSpec s, byte[] signedBytes, String filedBy, Instant filedAt,
                       long auditIndex) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into warrants (warrant_id, filed_by, filed_at, case_reference, "
                + "requesting_agency, subject_ids, covers_from, covers_until, not_before, not_after, max_records, "
                + "recipient_public_key, nonce, signed_bytes, state, audit_index) "
                + "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'OPEN', ?)")) {
            ps.setString(1, warrantId);
            ps.setString(2, filedBy);
            ps.setTimestamp(3, Timestamp.from(filedAt));
            ps.setString(4, s.caseReference());
            ps.setString(5, s.requestingAgency());
            ps.setArray(6, c.createArrayOf("text", s.subjectIds().toArray()));
            ps.setLong(7, s.coversFrom());
            ps.setLong(8, s.coversUntil());
            ps.setLong(9, s.notBefore());
            ps.setLong(10, s.notAfter());
            ps.setInt(11, s.maxRecords());
            ps.setBytes(12, s.recipientPublicKey());
            ps.setBytes(13, s.nonce());
            ps.setBytes(14, signedBytes);
            ps.setLong(15, auditIndex);
            ps.executeUpdate();
        }
    }

    private static final String COLUMNS = "warrant_id, case_reference, requesting_agency, subject_ids, covers_from, covers_until, "
            + "not_before, not_after, max_records, recipient_public_key, nonce, signed_bytes, filed_by, filed_at, state, "
            + "records_released, audit_index";

    /** The warrant with its approvals; with {@code lock}, its row stays locked until the transaction ends. */
    public static Optional<Warrant> find(Connection c, String warrantId, boolean lock) throws SQLException {
        List<Warrant> found = select(c, "select " + COLUMNS + " from warrants where warrant_id = ?" + (lock ? " for update" : ""),
                ps -> ps.setString(1, warrantId));
        return found.stream().findFirst();
    }

    /** A page of warrants in filing order. */
    public record Listed(List<Warrant> warrants, long lastAuditIndex) {}

    /**
     * Up to {@code limit} warrants filed after the one whose filing leaf is {@code afterAuditIndex},
     * oldest first; only those {@code filedBy} filed when it is present.
     */
    public static Listed list(Connection c, Optional<String> filedBy, long afterAuditIndex, int limit) throws SQLException {
        long[] last = {afterAuditIndex};
        List<Warrant> page = select(c, "select " + COLUMNS + " from warrants where audit_index > ?"
                + (filedBy.isPresent() ? " and filed_by = ?" : "") + " order by audit_index limit ?", ps -> {
                    int i = 1;
                    ps.setLong(i++, afterAuditIndex);
                    if (filedBy.isPresent()) {
                        ps.setString(i++, filedBy.get());
                    }
                    ps.setInt(i, limit);
                }, last);
        return new Listed(page, last[0]);
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private static List<Warrant> select(Connection c, String sql, Binder binder) throws SQLException {
        return select(c, sql, binder, new long[1]);
    }

    /** Warrant rows with their approvals (one query for all approvals); {@code lastIndex[0]} gets the last row's audit_index. */
    private static List<Warrant> select(Connection c, String sql, Binder binder, long[] lastIndex) throws SQLException {
        java.util.LinkedHashMap<String, Warrant> rows = new java.util.LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Array subjects = rs.getArray(4);
                    WarrantSpec spec = new WarrantSpec(rs.getString(2), rs.getString(3),
                            Arrays.asList((String[]) subjects.getArray()), rs.getLong(5), rs.getLong(6), rs.getLong(7),
                            rs.getLong(8), rs.getInt(9), rs.getBytes(10), rs.getBytes(11));
                    rows.put(rs.getString(1), new Warrant(rs.getString(1), spec, rs.getBytes(12), rs.getString(13),
                            rs.getTimestamp(14).toInstant(), Warrant.Recorded.valueOf(rs.getString(15)), List.of(), rs.getInt(16)));
                    lastIndex[0] = rs.getLong(17);
                }
            }
        }
        if (rows.isEmpty()) {
            return List.of();
        }
        java.util.Map<String, List<Approval>> approvals = new java.util.HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("select warrant_id, authority, signer, approved_at, cms_signature "
                + "from warrant_approvals where warrant_id = any (?) order by approved_at, authority")) {
            ps.setArray(1, c.createArrayOf("text", rows.keySet().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    approvals.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new Approval(rs.getString(2),
                            rs.getString(3), rs.getTimestamp(4).toInstant(), rs.getBytes(5)));
                }
            }
        }
        List<Warrant> out = new ArrayList<>(rows.size());
        for (Warrant w : rows.values()) {
            out.add(new Warrant(w.warrantId(), w.spec(), w.signedBytes(), w.filedBy(), w.filedAt(), w.recorded(),
                    approvals.getOrDefault(w.warrantId(), List.of()), w.recordsReleased()));
        }
        return out;
    }

    /** An approval row as stored, with the CMS signature it was accepted on. */
    public record StoredApproval(String authority, String signer, byte[] cms) {}

    /** Every approval row of a warrant with its CMS signature, for re-verification. */
    public static List<StoredApproval> storedApprovals(Connection c, String warrantId) throws SQLException {
        List<StoredApproval> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "select authority, signer, cms_signature from warrant_approvals where warrant_id = ? order by authority")) {
            ps.setString(1, warrantId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new StoredApproval(rs.getString(1), rs.getString(2), rs.getBytes(3)));
                }
            }
        }
        return out;
    }

    /** How many release rows a warrant has: the records its cap has counted. */
    public static int releaseRows(Connection c, String warrantId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select count(*) from warrant_releases where warrant_id = ?")) {
            ps.setString(1, warrantId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    public static void insertApproval(Connection c, String warrantId, String authority, String signer, Instant signingTime,
                               Instant approvedAt, byte[] cms, long auditIndex) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into warrant_approvals (warrant_id, authority, signer, "
                + "signing_time, approved_at, cms_signature, audit_index) values (?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, warrantId);
            ps.setString(2, authority);
            ps.setString(3, signer);
            ps.setTimestamp(4, Timestamp.from(signingTime));
            ps.setTimestamp(5, Timestamp.from(approvedAt));
            ps.setBytes(6, cms);
            ps.setLong(7, auditIndex);
            ps.executeUpdate();
        }
    }

    public static void record(Connection c, String warrantId, Warrant.Recorded state) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update warrants set state = ? where warrant_id = ?")) {
            ps.setString(1, state.name());
            ps.setString(2, warrantId);
            ps.executeUpdate();
        }
    }

    /** Open warrants whose not_after has passed, locked; skips rows another replica is handling. */
    public static List<String> lockDueForExpiry(Connection c, Instant now) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select warrant_id from warrants where state = 'OPEN' "
                + "and not_after <= ? order by warrant_id for update skip locked")) {
            ps.setLong(1, now.getEpochSecond());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        return ids;
    }

    public static boolean anyDueForExpiry(Connection c, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select 1 from warrants where state = 'OPEN' and not_after <= ? limit 1")) {
            ps.setLong(1, now.getEpochSecond());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
