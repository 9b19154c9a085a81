package io.escrow.audit;

import io.escrow.merkle.Frontier;
import io.escrow.merkle.MerkleHash;
import io.escrow.merkle.Tiles;
import io.escrow.storage.SqlArrays;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes the audit tree's stored levels as tiles ({@code audit_tiles}); {@link DbNodes} reads them. */
final class TileStore {
    private TileStore() {}

    /**
     * Adds the new nodes of the stored levels to their tiles: a partial tile is read, extended and
     * written back whole. Nodes come in append order, so each tile's new hashes continue it.
     */
    static void append(Connection c, List<Frontier.Node> nodes) throws SQLException {
        Map<Tiles.TileId, java.io.ByteArrayOutputStream> grown = new LinkedHashMap<>();
        Map<Tiles.TileId, Integer> firstOffset = new HashMap<>();
        for (Frontier.Node n : nodes) {
            if (!Tiles.stored(n.level())) {
                continue;
            }
            Tiles.TileId t = Tiles.tileOf(n.level(), n.index());
            firstOffset.putIfAbsent(t, Tiles.offset(n.level(), n.index()));
            grown.computeIfAbsent(t, k -> new java.io.ByteArrayOutputStream()).writeBytes(n.hash());
        }
        if (grown.isEmpty()) {
            return;
        }
        Map<Tiles.TileId, byte[]> existing = partialTiles(c, firstOffset);
        int n = grown.size();
        Short[] level = new Short[n];
        Long[] index = new Long[n];
        byte[][] hashes = new byte[n][];
        int i = 0;
        for (var e : grown.entrySet()) {
            Tiles.TileId t = e.getKey();
            byte[] before = existing.getOrDefault(t, new byte[0]);
            if (before.length != firstOffset.get(t) * MerkleHash.SIZE) {
                throw new SQLException("tile " + t.level() + "/" + t.index() + " holds " + before.length / MerkleHash.SIZE
                        + " hashes where the tree needs " + firstOffset.get(t));
            }
            level[i] = (short) t.level();
            index[i] = t.index();
            hashes[i++] = org.bouncycastle.util.Arrays.concatenate(before, e.getValue().toByteArray());
        }
        try (PreparedStatement ps = c.prepareStatement("insert into audit_tiles (tile_level, tile_index, hashes) "
                + "select * from unnest(?::smallint[], ?::bigint[], ?::bytea[]) "
                + "on conflict (tile_level, tile_index) do update set hashes = excluded.hashes")) {
            SqlArrays.bind(c, ps, 1, new String[] {"smallint", "bigint", "bytea"}, level, index, hashes);
            ps.executeUpdate();
        }
    }

    /** The stored contents of the tiles that new hashes continue (first new offset above 0). */
    private static Map<Tiles.TileId, byte[]> partialTiles(Connection c, Map<Tiles.TileId, Integer> firstOffset) throws SQLException {
        return DbNodes.readTiles(c, firstOffset.entrySet().stream().filter(e -> e.getValue() > 0).map(Map.Entry::getKey).toList());
    }
}
