package io.escrow.audit;

import io.escrow.storage.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/** Reads committed audit leaves in index order, wherever they are stored ({@link LeafRange}). Readers never lock anything writers need. */
public final class AuditReader {
    private final Database db;
    private final ScanPolicy scans;
    private final Semaphore scanPermits;
    /** Loaded on first use: deposit leaves are rebuilt with the salt. */
    private volatile SubjectHasher subjects;

    public AuditReader(Database db) {
        this(db, ScanPolicy.DEFAULT);
    }

    public AuditReader(Database db, ScanPolicy scans) {
        this.db = db;
        this.scans = scans;
        this.scanPermits = new Semaphore(scans.maxScans());
    }

    /**
     * When a pass over the log starts with a sequential scan ({@link LeafScan}).
     *
     * @param minLeaves a pass reading fewer leaves than this goes by index
     * @param maxScans scans open at once; each holds a pooled connection
     * @param maxPending rows a scan holds while it looks for the next index
     */
    public record ScanPolicy(long minLeaves, int maxScans, int maxPending) {
        /**
         * A million leaves read by index touch about 256 MB of heap (a deposit row, measured
         * at 50.9 M), a small share of any production shared_buffers; two scans keep two of the
         * pool's connections at most.
         */
        public static final ScanPolicy DEFAULT = new ScanPolicy(1 << 20, 2, 8192);

        public ScanPolicy {
            if (minLeaves < 1 || maxScans < 0 || maxPending < 1) {
                throw new IllegalArgumentException("minLeaves and maxPending must be positive and maxScans not negative: "
                        + minLeaves + ", " + maxScans + ", " + maxPending);
            }
        }
    }

    /**
     * A pass over the log from {@code fromIndex}, read a page at a time by the caller. It starts
     * with a sequential scan when at least {@link ScanPolicy#minLeaves} leaves, and at least half
     * the log, lie ahead of it and fewer than {@link ScanPolicy#maxScans} scans are open.
     */
    public LeafStream stream(long fromIndex) {
        long ahead = 0;
        long size = committedSize();
        if (fromIndex < size) {
            ahead = size - fromIndex;
        }
        if (ahead < scans.minLeaves() || ahead * 2 < size || !scanPermits.tryAcquire()) {
            return new LeafStream(this, fromIndex, null, null, () -> { });
        }
        Connection c = null;
        try {
            c = db.connection();
            LeafScan scan = new LeafScan(c, subjects(c), fromIndex, scans.maxPending());
            return new LeafStream(this, fromIndex, c, scan, scanPermits::release);
        } catch (SQLException | RuntimeException e) {
            // The scan only makes the pass cheaper for the database; without it the pass reads by index.
            closeQuietly(c);
            scanPermits.release();
            return new LeafStream(this, fromIndex, null, null, () -> { });
        }
    }

    /** Scans open now. */
    public int openScans() {
        return scans.maxScans() - scanPermits.availablePermits();
    }

    private long committedSize() {
        return db.inTransaction("reading the audit head", c -> {
            try (PreparedStatement ps = c.prepareStatement("select next_index from audit_head where id = 1");
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    private static void closeQuietly(Connection c) {
        if (c == null) {
            return;
        }
        try (c) {
            if (!c.getAutoCommit()) {
                c.rollback();
                c.setAutoCommit(true);
            }
        } catch (SQLException ignored) {
            // A broken connection; the pool discards it.
        }
    }

    /** One stored leaf with the columns the stream reports. */
    public record Row(long index, java.time.Instant time, String type, String actor, byte[] leaf) {}

    /** Receives rows one at a time; returns false to stop. */
    @FunctionalInterface
    public interface RowConsumer {
        boolean accept(Row row) throws InterruptedException;
    }

    /**
     * Streams up to {@code limit} leaves from {@code fromIndex} on, read in windows of
     * {@link LeafRange#MAX_WINDOW}; stops at the first gap (a leaf not committed yet). Returns how
     * many rows the consumer took.
     */
    public long forEach(long fromIndex, long limit, RowConsumer consumer) throws InterruptedException {
        long next = fromIndex;
        long end = limit > Long.MAX_VALUE - fromIndex ? Long.MAX_VALUE : fromIndex + limit;
        while (next < end) {
            long from = next;
            long until = Math.min(end, from + LeafRange.MAX_WINDOW);
            List<Row> rows = db.inTransaction("reading the audit log", c -> LeafRange.read(c, subjects(c), from, until));
            for (Row r : rows) {
                if (!consumer.accept(r)) {
                    return next - fromIndex;
                }
                next++;
            }
            if (rows.size() < until - from) {
                break;
            }
        }
        return next - fromIndex;
    }

    /**
     * Each deposit's leaf as the log holds it: the leaf stored in audit_log where there is one (a
     * leaf from before migration V12 not yet compacted), else rebuilt from the row, in one query.
     */
    public Map<Long, byte[]> depositLeaves(List<StoredDeposit> deposits) {
        return db.inTransaction("reading deposit leaves", c -> {
            Map<Long, byte[]> out = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select idx, leaf from audit_log where idx = any(?::bigint[])")) {
                ps.setArray(1, c.createArrayOf("int8", deposits.stream().map(StoredDeposit::auditIndex).toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getLong(1), rs.getBytes(2));
                    }
                }
            }
            SubjectHasher subjects = subjects(c);
            for (StoredDeposit d : deposits) {
                out.computeIfAbsent(d.auditIndex(), i -> d.leaf(subjects));
            }
            return out;
        });
    }

    SubjectHasher subjects(Connection c) throws java.sql.SQLException {
        SubjectHasher s = subjects;
        if (s == null) {
            s = SubjectHasher.load(c);
            subjects = s;
        }
        return s;
    }
}
