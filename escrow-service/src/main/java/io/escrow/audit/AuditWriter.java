package io.escrow.audit;

import io.escrow.storage.Database;
import java.time.Clock;
import java.util.Map;

/** Appends one leaf in a transaction of its own: for events that change nothing else, such as refusals. */
public final class AuditWriter {
    private final Database db;
    private final Clock clock;

    public AuditWriter(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** Commits the leaf and returns its index; fails with StorageUnavailableException. */
    public long append(String type, String actor, Map<String, ?> fields) {
        return db.inTransaction("auditing " + type, c -> AuditAppender.appendNow(c, AuditEntry.of(type, clock.instant(), actor, fields)));
    }
}
