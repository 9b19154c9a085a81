package io.escrow.audit;

import io.escrow.storage.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads committed audit leaves in index order, wherever they are stored ({@link LeafRange}). Readers never lock anything writers need. */
public final class AuditReader {
    private final Database db;
    /** Loaded on first use: deposit leaves are rebuilt with the salt. */
    private volatile SubjectHasher subjects;

    public AuditReader(Database db) {
        this.db = db;
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

    private SubjectHasher subjects(java.sql.Connection c) throws java.sql.SQLException {
        SubjectHasher s = subjects;
        if (s == null) {
            s = SubjectHasher.load(c);
            subjects = s;
        }
        return s;
    }
}
