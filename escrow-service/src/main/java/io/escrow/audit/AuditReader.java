package io.escrow.audit;

import io.escrow.storage.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/** Reads committed audit leaves in index order, for streaming. Readers never lock anything writers need. */
public final class AuditReader {
    private final Database db;

    public AuditReader(Database db) {
        this.db = db;
    }

    /** One stored leaf with the columns the stream reports. */
    public record Row(long index, java.time.Instant time, String type, String actor, byte[] leaf) {}

    /**
     * Up to {@code limit} leaves from {@code fromIndex} on, in order and without gaps: leaves become
     * visible in index order, since every appender holds the head lock until it commits.
     */
    public List<Row> page(long fromIndex, int limit) {
        return db.inTransaction("reading the audit log", c -> {
            List<Row> out = new ArrayList<>(Math.min(limit, 4096));
            try (PreparedStatement ps = c.prepareStatement(
                    "select idx, logged_at, type, actor, leaf from audit_log where idx >= ? order by idx limit ?")) {
                ps.setLong(1, fromIndex);
                ps.setInt(2, limit);
                ps.setFetchSize(limit);
                try (ResultSet rs = ps.executeQuery()) {
                    long expect = fromIndex;
                    while (rs.next() && rs.getLong(1) == expect) {
                        out.add(new Row(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4),
                                rs.getBytes(5)));
                        expect++;
                    }
                }
            }
            return out;
        });
    }
}
