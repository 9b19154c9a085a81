package io.escrow.audit;

import io.escrow.note.NoteSignature;
import io.escrow.storage.Database;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What witnesses said about the log's heads: every cosignature returned (audit_cosignatures) and
 * the size each witness last cosigned (audit_witness_progress). Shared by every replica through
 * the database, so the publisher of any replica and any Recover see the same quorum.
 */
public final class WitnessRecords {
    private final Database db;
    /** Bumped whenever this process stores cosignatures, so a waiting recovery wakes at once. */
    private long stored;

    public WitnessRecords(Database db) {
        this.db = db;
    }

    /** How many times this process has stored cosignatures; pass it to {@link #awaitStored}. */
    public synchronized long stored() {
        return stored;
    }

    /**
     * Waits until this process stores cosignatures after {@code seen}, or {@code max} passes.
     * Cosignatures stored by other replicas are found by the caller's next database read.
     */
    public synchronized void awaitStored(long seen, java.time.Duration max) throws InterruptedException {
        long until = System.nanoTime() + max.toNanos();
        while (stored == seen) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return;
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Stores the cosignatures {@code witness} returned for the head of {@code size}, and its progress. */
    public void record(String witness, long size, List<NoteSignature> cosignatures, Instant now) {
        db.inTransaction("storing cosignatures of " + witness, c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into audit_cosignatures (tree_size, witness, key_name, key_id, "
                    + "signature, received_at) values (?, ?, ?, ?, ?, ?) on conflict (tree_size, witness, key_id) do nothing")) {
                for (NoteSignature s : cosignatures) {
                    ps.setLong(1, size);
                    ps.setString(2, witness);
                    ps.setString(3, s.keyName());
                    ps.setInt(4, s.keyId());
                    ps.setBytes(5, s.signature());
                    ps.setTimestamp(6, Timestamp.from(now));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            progress(c, witness, size, now);
            return null;
        });
        synchronized (this) {
            stored++;
            notifyAll();
        }
    }

    /** Records that {@code witness} holds {@code size} as its latest cosigned size (from a 409 answer, say). */
    public void progress(String witness, long size, Instant now) {
        db.inTransaction("storing the progress of " + witness, c -> {
            progress(c, witness, size, now);
            return null;
        });
    }

    private static void progress(Connection c, String witness, long size, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into audit_witness_progress (witness, cosigned_size, cosigned_at) "
                + "values (?, ?, ?) on conflict (witness) do update set cosigned_size = excluded.cosigned_size, "
                + "cosigned_at = excluded.cosigned_at")) {
            ps.setString(1, witness);
            ps.setLong(2, size);
            ps.setTimestamp(3, Timestamp.from(now));
            ps.executeUpdate();
        }
    }

    /** The size {@code witness} last cosigned, if the service knows one. */
    public OptionalLong cosignedSize(String witness) {
        return db.inTransaction("reading the progress of " + witness, c -> {
            try (PreparedStatement ps = c.prepareStatement("select cosigned_size from audit_witness_progress where witness = ?")) {
                ps.setString(1, witness);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
                }
            }
        });
    }

    /** {@code heads} with the cosignatures stored for each, read in one query. */
    static List<SignedTreeHead> attach(Connection c, List<SignedTreeHead> heads) throws SQLException {
        if (heads.isEmpty()) {
            return heads;
        }
        Map<Long, List<NoteSignature>> bySize = new HashMap<>();
        Long[] sizes = heads.stream().map(SignedTreeHead::size).toArray(Long[]::new);
        try (PreparedStatement ps = c.prepareStatement("select tree_size, key_name, key_id, signature from audit_cosignatures "
                + "where tree_size = any(?) order by tree_size, witness, key_id")) {
            Array array = c.createArrayOf("bigint", sizes);
            ps.setArray(1, array);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    bySize.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                            .add(new NoteSignature(rs.getString(2), rs.getInt(3), rs.getBytes(4)));
                }
            }
        }
        List<SignedTreeHead> out = new ArrayList<>(heads.size());
        for (SignedTreeHead h : heads) {
            List<NoteSignature> cosigs = bySize.get(h.size());
            out.add(cosigs == null ? h : h.withCosignatures(cosigs));
        }
        return out;
    }
}
