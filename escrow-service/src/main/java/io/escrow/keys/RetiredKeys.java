package io.escrow.keys;

import io.escrow.storage.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The keys retired so far (table retired_keys), shared by every replica. Reads are cached for a
 * second because deposits consult it; the database function that stores deposits checks the
 * table itself, under the audit head's lock, so a stale cache can only delay a refusal, never
 * let a deposit under a retired key in.
 */
public final class RetiredKeys {
    private static final long RELOAD_NANOS = 1_000_000_000L;

    /** One retirement: when, and the index of its key_retired leaf. */
    public record Retirement(String keyId, Instant retiredAt, long auditIndex) {}

    private final Database db;
    private volatile Map<String, Retirement> cache = Map.of();
    private volatile long loadedAt = System.nanoTime() - 2 * RELOAD_NANOS;

    public RetiredKeys(Database db) {
        this.db = db;
    }

    public Optional<Retirement> find(String keyId) {
        if (System.nanoTime() - loadedAt > RELOAD_NANOS) {
            refresh();
        }
        return Optional.ofNullable(cache.get(keyId));
    }

    /** Refuses a retired key with {@link KeyRetiredException}. */
    public void requireLive(String keyId) {
        if (find(keyId).isPresent()) {
            throw new KeyRetiredException(keyId);
        }
    }

    /** Every retirement, oldest first, read now. */
    public List<Retirement> all() {
        refresh();
        return cache.values().stream().sorted(Comparator.comparing(Retirement::retiredAt)).toList();
    }

    public void refresh() {
        cache = db.inTransaction("reading retired keys", c -> {
            Map<String, Retirement> m = new ConcurrentHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select key_id, retired_at, audit_index from retired_keys");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    m.put(rs.getString(1), new Retirement(rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getLong(3)));
                }
            }
            return Map.copyOf(m);
        });
        loadedAt = System.nanoTime();
    }
}
