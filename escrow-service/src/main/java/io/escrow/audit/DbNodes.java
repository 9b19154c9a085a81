package io.escrow.audit;

import io.escrow.merkle.NodeSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/** Stored perfect-subtree hashes, read on demand and cached for one computation. */
final class DbNodes implements NodeSource {
    private final Connection c;
    private final Map<Long, byte[]> cache = new HashMap<>();

    DbNodes(Connection c) {
        this.c = c;
    }

    static long key(int level, long index) {
        return ((long) level << 58) | index;
    }

    /** Loads these nodes (keys from {@link #key}) in one query. */
    void prefetch(java.util.Set<Long> keys) {
        if (keys.isEmpty()) {
            return;
        }
        Short[] levels = new Short[keys.size()];
        Long[] idx = new Long[keys.size()];
        int i = 0;
        for (long k : keys) {
            levels[i] = (short) (k >>> 58);
            idx[i++] = k & ((1L << 58) - 1);
        }
        try (PreparedStatement ps = c.prepareStatement("select n.level, n.idx, n.hash from audit_nodes n "
                + "join unnest(?::smallint[], ?::bigint[]) as w(level, idx) on n.level = w.level and n.idx = w.idx")) {
            io.escrow.storage.SqlArrays.bind(c, ps, 1, new String[] {"int2", "int8"}, levels, idx);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    cache.put(key(rs.getShort(1), rs.getLong(2)), rs.getBytes(3));
                }
            }
        } catch (SQLException e) {
            throw new io.escrow.storage.StorageUnavailableException("reading audit_nodes failed: " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] perfect(int level, long index) {
        long key = key(level, index);
        byte[] h = cache.get(key);
        if (h != null) {
            return h;
        }
        try (PreparedStatement ps = c.prepareStatement("select hash from audit_nodes where level = ? and idx = ?")) {
            ps.setShort(1, (short) level);
            ps.setLong(2, index);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("audit_nodes lacks node " + level + "/" + index);
                }
                h = rs.getBytes(1);
            }
        } catch (SQLException e) {
            throw new io.escrow.storage.StorageUnavailableException("reading audit_nodes failed: " + e.getMessage(), e);
        }
        cache.put(key, h);
        return h;
    }
}
