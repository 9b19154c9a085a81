package io.escrow.testing;

import io.escrow.storage.Database;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Reads the audit log that the service wrote, for assertions. */
public final class AuditProbe {
    private final Database db;

    public AuditProbe(Database db) {
        this.db = db;
    }

    public record Leaf(long index, String type, String actor, byte[] leaf) {
        /** Whether the leaf's bytes contain {@code text} as UTF-8 (e.g. a warrant id or field name). */
        public boolean mentions(String text) {
            return new String(leaf, StandardCharsets.ISO_8859_1).contains(new String(text.getBytes(StandardCharsets.UTF_8),
                    StandardCharsets.ISO_8859_1));
        }
    }

    /** The next index to be written: leaves appended after this call have index >= mark. */
    public long mark() {
        return db.inTransaction("audit mark", c -> {
            try (PreparedStatement ps = c.prepareStatement("select next_index from audit_head")) {
                ResultSet rs = ps.executeQuery();
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    public List<Leaf> since(long mark) {
        return db.inTransaction("audit read", c -> read(c, mark));
    }

    /** Leaves since {@code mark} of {@code type} that mention {@code text}. */
    public List<Leaf> find(long mark, String type, String text) {
        return since(mark).stream().filter(l -> l.type().equals(type) && l.mentions(text)).toList();
    }

    public Leaf at(long index) {
        return since(index).stream().filter(l -> l.index() == index).findFirst().orElseThrow();
    }

    private static List<Leaf> read(Connection c, long mark) throws SQLException {
        List<Leaf> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select idx, type, actor, leaf from audit_log where idx >= ? order by idx")) {
            ps.setLong(1, mark);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Leaf(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getBytes(4)));
                }
            }
        }
        return out;
    }
}
