package io.escrow.retirement;

import io.escrow.audit.AuditAppender;
import io.escrow.audit.AuditEntry;
import io.escrow.audit.DepositLeafArchive;
import io.escrow.keys.RetiredKeys;
import io.escrow.storage.Database;
import io.escrow.storage.StorageUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * The database side of a retirement: the retired_keys row and its key_retired leaf in one
 * transaction, then the key's deposit leaves written to audit_log and its deposit partition
 * detached and dropped (migration V12).
 *
 * <p>The two steps are separate on purpose. The first holds the audit head, and from its commit
 * on, deposit_batch_v3 refuses the key under that same lock, so no deposit under it is stored
 * after. The second takes locks on the deposits table, which a recovery holds while it waits for
 * the audit head: taken while holding the head, they could deadlock with it. It runs with no
 * other lock held, detaching concurrently (SHARE UPDATE EXCLUSIVE on the parent), so deposits
 * under other keys and recoveries go on while it waits.
 */
final class RetirementStore {
    private final Database db;
    private final Consumer<String> log;

    RetirementStore(Database db, Consumer<String> log) {
        this.db = db;
        this.log = log;
    }

    /** Records the retirement and appends its leaf; returns it, with the count of deposits it ends. */
    Recorded record(String keyId, Instant now, java.util.function.LongFunction<AuditEntry> leafForCount) {
        return db.inTransaction("recording the retirement of " + keyId, c -> {
            long index = AuditAppender.lockHead(c);
            long deposits = count(c, keyId);
            try (PreparedStatement ps = c.prepareStatement("insert into retired_keys (key_id, retired_at, audit_index) values (?, ?, ?)")) {
                ps.setString(1, keyId);
                ps.setTimestamp(2, Timestamp.from(now));
                ps.setLong(3, index);
                ps.executeUpdate();
            }
            AuditAppender.append(c, index, java.util.List.of(leafForCount.apply(deposits)));
            return new Recorded(new RetiredKeys.Retirement(keyId, now, index), deposits);
        });
    }

    record Recorded(RetiredKeys.Retirement retirement, long deposits) {}

    private static long count(Connection c, String keyId) throws SQLException {
        String part = partition(c, keyId);
        if (part == null) {
            return 0;
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select count(*) from " + quoted(part))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Writes the key's deposit leaves to audit_log, then detaches and drops its deposit partition,
     * if it is still there; safe to repeat after any interruption.
     */
    void dropDeposits(String keyId) {
        try (Connection c = db.connection()) {
            c.setAutoCommit(true);
            String part = partition(c, keyId);
            String leftover = part == null ? detachedLeftover(c, keyId) : null;
            String rows = part != null ? part : leftover;
            if (rows != null) {
                // Since V12 a deposit's leaf is read from its row; the leaves must outlive the rows.
                long written = DepositLeafArchive.archive(db, checked(rows), log);
                log.accept("retirement of " + keyId + ": its deposit leaves are in audit_log (" + written + " written)");
            }
            if (part == null) {
                part = leftover;
            } else {
                // CONCURRENTLY cannot run in a transaction block; interrupted, it leaves the
                // partition "detach pending", which FINALIZE completes on the next run.
                String how = pending(c, part) ? "finalize" : "concurrently";
                log.accept("retirement of " + keyId + ": detaching its deposits (" + part + ", " + how + ")");
                try (Statement st = c.createStatement()) {
                    st.execute("alter table deposits detach partition " + quoted(part) + " " + how);
                }
            }
            if (part != null) {
                try (Statement st = c.createStatement()) {
                    st.execute("drop table " + quoted(part));
                }
                log.accept("retirement of " + keyId + ": its deposits are dropped (" + part + ")");
            }
        } catch (SQLException e) {
            throw new StorageUnavailableException("dropping the deposits of retired key " + keyId + " failed: " + e.getMessage()
                    + "; run the retirement again to finish it", e);
        }
    }

    /** The name of the partition holding the key's deposits, while it is attached. */
    private static String partition(Connection c, String keyId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
                + "where i.inhparent = 'deposits'::regclass and c.relname = 'deposits_' || md5(?)")) {
            ps.setString(1, keyId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** A partition detached by an earlier run that stopped before dropping it. */
    private static String detachedLeftover(Connection c, String keyId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select to_regclass('deposits_' || md5(?))::text")) {
            ps.setString(1, keyId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static boolean pending(Connection c, String part) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select i.inhdetachpending from pg_inherits i join pg_class c on c.oid = i.inhrelid "
                + "where c.relname = ?")) {
            ps.setString(1, part);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** Partition names are deposits_ and 32 hex digits (made by deposit_partition), so quoting is for form's sake. */
    private static String quoted(String name) {
        return '"' + checked(name) + '"';
    }

    private static String checked(String name) {
        if (!name.matches("deposits_[0-9a-f]{32}")) {
            throw new IllegalStateException("unexpected partition name " + name);
        }
        return name;
    }
}
