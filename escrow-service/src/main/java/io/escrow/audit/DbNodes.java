package io.escrow.audit;

import io.escrow.merkle.NodeSource;
import io.escrow.merkle.Tiles;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Perfect-subtree hashes from the stored tiles ({@code audit_tiles}, see {@link Tiles}), read on
 * demand and cached for one computation.
 */
final class DbNodes implements NodeSource {
    private final Connection c;
    private final Map<Tiles.TileId, byte[]> tiles = new HashMap<>();

    DbNodes(Connection c) {
        this.c = c;
    }

    static long key(int level, long index) {
        return ((long) level << 58) | index;
    }

    /** Loads the tiles these nodes (keys from {@link #key}) lie in, in one query. */
    void prefetch(Set<Long> keys) {
        Set<Tiles.TileId> wanted = new java.util.HashSet<>();
        for (long k : keys) {
            Tiles.TileId t = Tiles.tileOf((int) (k >>> 58), k & ((1L << 58) - 1));
            if (!tiles.containsKey(t)) {
                wanted.add(t);
            }
        }
        load(wanted);
    }

    @Override
    public byte[] perfect(int level, long index) {
        Tiles.TileId t = Tiles.tileOf(level, index);
        if (!tiles.containsKey(t)) {
            load(Set.of(t));
        }
        byte[] tile = tiles.get(t);
        if (tile == null) {
            throw new IllegalStateException("audit_tiles lacks tile " + t.level() + "/" + t.index() + " for node " + level + "/" + index);
        }
        return Tiles.subtree(tile, level, index);
    }

    private void load(Set<Tiles.TileId> wanted) {
        try {
            tiles.putAll(readTiles(c, wanted));
        } catch (SQLException e) {
            throw new io.escrow.storage.StorageUnavailableException("reading audit_tiles failed: " + e.getMessage(), e);
        }
    }

    /** The stored contents of these tiles (those that exist), in one query. */
    static Map<Tiles.TileId, byte[]> readTiles(Connection c, java.util.Collection<Tiles.TileId> wanted) throws SQLException {
        Map<Tiles.TileId, byte[]> out = new HashMap<>();
        if (wanted.isEmpty()) {
            return out;
        }
        Short[] levels = wanted.stream().map(t -> (short) t.level()).toArray(Short[]::new);
        Long[] idx = wanted.stream().map(Tiles.TileId::index).toArray(Long[]::new);
        try (PreparedStatement ps = c.prepareStatement("select t.tile_level, t.tile_index, t.hashes from audit_tiles t "
                + "join unnest(?::smallint[], ?::bigint[]) as w(l, i) on t.tile_level = w.l and t.tile_index = w.i")) {
            io.escrow.storage.SqlArrays.bind(c, ps, 1, new String[] {"int2", "int8"}, levels, idx);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(new Tiles.TileId(rs.getShort(1), rs.getLong(2)), rs.getBytes(3));
                }
            }
        }
        return out;
    }
}
