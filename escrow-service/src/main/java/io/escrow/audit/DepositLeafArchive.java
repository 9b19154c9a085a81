package io.escrow.audit;

import io.escrow.storage.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Writes the deposit leaves of one deposits partition into audit_log, before a retirement drops
 * the partition: the rows go, their leaves stay, and the log reads and verifies as before.
 * Idempotent (a leaf already there is left alone), so an interrupted retirement re-runs it.
 */
public final class DepositLeafArchive {
    /** Heap pages read per transaction: a few thousand rows. */
    static final long SLICE_PAGES = 256;
    private static final long PROGRESS_EVERY_NANOS = 5_000_000_000L;

    private DepositLeafArchive() {}

    /**
     * Archives every row of {@code partition} (a name made by deposit_partition, checked by the
     * caller); returns how many leaves it wrote.
     */
    public static long archive(Database db, String partition, Consumer<String> log) {
        long pages = db.inTransaction("sizing " + partition, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "select pg_relation_size(?::regclass) / current_setting('block_size')::bigint")) {
                ps.setString(1, partition);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
        long written = 0;
        long lastReport = System.nanoTime();
        for (long lo = 0; lo < pages; lo += SLICE_PAGES) {
            long from = lo;
            written += db.inTransaction("writing the leaves of " + partition + " to the audit log", c -> slice(c, partition, from));
            if (System.nanoTime() - lastReport > PROGRESS_EVERY_NANOS) {
                lastReport = System.nanoTime();
                log.accept(String.format("writing the deposit leaves of %s to audit_log: %,d of %,d pages, %,d leaves",
                        partition, Math.min(lo + SLICE_PAGES, pages), pages, written));
            }
        }
        return written;
    }

    private static long slice(Connection c, String partition, long fromPage) throws SQLException {
        try (PreparedStatement lock = c.prepareStatement(DepositLeafCompaction.LOCK)) {
            lock.execute();
        }
        SubjectHasher subjects = SubjectHasher.load(c);
        List<StoredDeposit> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select " + StoredDeposit.COLUMNS + " from \"" + partition + "\" d "
                + "where d.ctid >= format('(%s,0)', ?::bigint)::tid and d.ctid < format('(%s,0)', ?::bigint)::tid")) {
            ps.setLong(1, fromPage);
            ps.setLong(2, fromPage + SLICE_PAGES);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(StoredDeposit.read(rs, 1));
                }
            }
        }
        if (rows.isEmpty()) {
            return 0;
        }
        List<AuditReader.Row> leaves = new ArrayList<>(rows.size());
        for (StoredDeposit d : rows) {
            leaves.add(new AuditReader.Row(d.auditIndex(), d.depositedAt(), AuditLeaves.DEPOSIT, d.provider(), d.leaf(subjects)));
        }
        return AuditAppender.insert(c, leaves, true);
    }
}
