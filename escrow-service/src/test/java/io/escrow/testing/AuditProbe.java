package io.escrow.testing;

import io.escrow.storage.Database;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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

    /** Every committed leaf from {@code mark} on, read as the service reads them (deposit leaves from their rows). */
    public List<Leaf> since(long mark) {
        List<Leaf> out = new ArrayList<>();
        try {
            new io.escrow.audit.AuditReader(db).forEach(mark, Long.MAX_VALUE, r -> out.add(new Leaf(r.index(), r.type(), r.actor(), r.leaf())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Leaves since {@code mark} of {@code type} that mention {@code text}. */
    public List<Leaf> find(long mark, String type, String text) {
        return since(mark).stream().filter(l -> l.type().equals(type) && l.mentions(text)).toList();
    }

    public Leaf at(long index) {
        return since(index).stream().filter(l -> l.index() == index).findFirst().orElseThrow();
    }
}
