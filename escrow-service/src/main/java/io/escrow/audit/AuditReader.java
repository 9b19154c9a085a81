package io.escrow.audit;

import io.escrow.storage.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

/** Reads committed audit leaves in index order, for streaming. Readers never lock anything writers need. */
public final class AuditReader {
    private final Database db;

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
     * Streams up to {@code limit} leaves from {@code fromIndex} on through one cursor, so PostgreSQL
     * sends the next rows while the caller is still handling these; stops at the first gap (a
     * leaf not committed yet). Returns how many rows the consumer took.
     */
    public long forEach(long fromIndex, long limit, RowConsumer consumer) throws InterruptedException {
        try (java.sql.Connection c = db.connection()) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            try (PreparedStatement ps = c.prepareStatement(
                    "select idx, logged_at, type, actor, leaf from audit_log where idx >= ? and idx < ? order by idx")) {
                ps.setLong(1, fromIndex);
                ps.setLong(2, fromIndex + limit);
                ps.setFetchSize(4096);
                long expect = fromIndex;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next() && rs.getLong(1) == expect) {
                        if (!consumer.accept(new Row(expect, rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4),
                                rs.getBytes(5)))) {
                            break;
                        }
                        expect++;
                    }
                }
                c.commit();
                return expect - fromIndex;
            } finally {
                c.setReadOnly(false);
                c.setAutoCommit(true);
            }
        } catch (java.sql.SQLException e) {
            throw new io.escrow.storage.StorageUnavailableException("reading the audit log failed: " + e.getMessage(), e);
        }
    }

    /** The exact leaves at these indexes (those that exist), in one query. */
    public java.util.Map<Long, byte[]> leaves(java.util.Collection<Long> indexes) {
        return db.inTransaction("reading audit leaves", c -> {
            java.util.Map<Long, byte[]> out = new java.util.HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select idx, leaf from audit_log where idx = any(?::bigint[])")) {
                ps.setArray(1, c.createArrayOf("int8", indexes.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getLong(1), rs.getBytes(2));
                    }
                }
            }
            return out;
        });
    }
}
