package io.escrow.audit;

import io.escrow.error.EscrowException;
import io.escrow.hsm.AuditSigningKey;
import io.escrow.merkle.Frontier;
import io.escrow.merkle.MerkleHash;
import io.escrow.merkle.MerkleTree;
import io.escrow.merkle.NodeSource;
import io.escrow.storage.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The Merkle tree over audit_log and its signed heads. {@link #publish} extends the stored nodes
 * with the leaves committed since the last head (one builder at a time across replicas, through
 * the audit_tree row lock), signs a checkpoint for the new size with the audit token, and keeps
 * it. Proofs are composed from stored nodes only.
 */
public final class AuditTree {
    /** Leaves folded into the tree per transaction, so a long backlog never makes one huge transaction. */
    static final int MAX_LEAVES_PER_STEP = 50_000;

    private final Database db;
    private final Supplier<AuditSigningKey> signer;
    private final String origin;
    private final Clock clock;
    /** Loaded on first use: deposit leaves are rebuilt with the salt. */
    private volatile SubjectHasher subjects;

    public AuditTree(Database db, Supplier<AuditSigningKey> signer, String origin, Clock clock) {
        if (origin.isBlank() || origin.contains("\n")) {
            throw new IllegalArgumentException("the checkpoint origin must be one non-empty line");
        }
        this.db = db;
        this.signer = signer;
        this.origin = origin;
        this.clock = clock;
    }

    public String origin() {
        return origin;
    }

    /** A request about a tree size or index that the log does not have (yet). */
    public static final class OutOfRangeException extends EscrowException {
        public OutOfRangeException(String field, String message) {
            super(Category.INVALID_ARGUMENT, field + ": " + message);
        }
    }

    /**
     * Brings the tree up to every committed leaf and returns the newest signed head, signing a new
     * one when the tree grew (or none exists yet).
     */
    public SignedTreeHead publish() {
        while (true) {
            SignedTreeHead head = db.inTransaction("extending the audit tree", this::step);
            if (head != null) {
                return head;
            }
        }
    }

    /** One step: folds up to MAX_LEAVES_PER_STEP leaves; returns the head when caught up, else null. */
    private SignedTreeHead step(Connection c) throws SQLException {
        long built = builtSize(c, true);
        long committed = committedSize(c);
        if (built < committed) {
            long until = Math.min(committed, built + MAX_LEAVES_PER_STEP);
            Frontier f = Frontier.resume(built, new DbNodes(c));
            List<Frontier.Node> nodes = new ArrayList<>();
            if (subjects == null) {
                subjects = SubjectHasher.load(c);
            }
            for (long from = built; from < until; from += LeafRange.MAX_WINDOW) {
                long to = Math.min(until, from + LeafRange.MAX_WINDOW);
                List<AuditReader.Row> rows = LeafRange.read(c, subjects, from, to);
                if (rows.size() != to - from) {
                    throw new SQLException("the audit log has no leaf " + (from + rows.size()) + " below the committed head " + committed);
                }
                rows.forEach(r -> nodes.addAll(f.append(r.leaf())));
            }
            TileStore.append(c, nodes);
            try (PreparedStatement ps = c.prepareStatement("update audit_tree set size = ? where id = 1")) {
                ps.setLong(1, until);
                ps.executeUpdate();
            }
            if (until < committed) {
                return null;
            }
            built = until;
        }
        Optional<SignedTreeHead> latest = latest(c);
        if (latest.isPresent() && latest.get().size() == built) {
            return latest.get();
        }
        byte[] root = MerkleTree.root(new DbNodes(c), built);
        byte[] body = SignedTreeHead.checkpointBody(origin, built, root);
        AuditSigningKey key = signer.get();
        SignedTreeHead head = new SignedTreeHead(built, root, body, key.sign(body), key.publicKeySpki(), clock.instant(),
                key.signEd25519(body), key.ed25519PublicKey(), List.of());
        try (PreparedStatement ps = c.prepareStatement("insert into audit_checkpoints (tree_size, root, checkpoint, signature, "
                + "public_key, published_at, ed25519_signature, ed25519_public_key) values (?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setLong(1, head.size());
            ps.setBytes(2, head.root());
            ps.setBytes(3, head.checkpoint());
            ps.setBytes(4, head.signature());
            ps.setBytes(5, head.publicKey());
            ps.setTimestamp(6, Timestamp.from(head.publishedAt()));
            ps.setBytes(7, head.ed25519Signature());
            ps.setBytes(8, head.ed25519PublicKey());
            ps.executeUpdate();
        }
        return head;
    }

    /** How many leaves the stored nodes cover; with {@code lock}, builders of other replicas wait. */
    private static long builtSize(Connection c, boolean lock) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select size from audit_tree where id = 1" + (lock ? " for update" : ""));
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Every leaf below the head is committed: the head advances in the same transaction as its leaves. */
    public long committedSize() {
        return db.inTransaction("reading the audit head", AuditTree::committedSize);
    }

    private static long committedSize(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select next_index from audit_head where id = 1");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    public Optional<SignedTreeHead> latest() {
        return db.inTransaction("reading the latest tree head", AuditTree::latest);
    }

    private static Optional<SignedTreeHead> latest(Connection c) throws SQLException {
        List<SignedTreeHead> heads = heads(c, "order by tree_size desc limit 1", -1);
        return heads.isEmpty() ? Optional.empty() : Optional.of(heads.get(0));
    }

    /** Published heads with size ≥ {@code fromSize}, oldest first, at most {@code limit}. */
    public List<SignedTreeHead> heads(long fromSize, int limit) {
        return db.inTransaction("reading tree heads", c -> heads(c, "where tree_size >= ? order by tree_size limit " + limit, fromSize));
    }

    private static List<SignedTreeHead> heads(Connection c, String tail, long param) throws SQLException {
        List<SignedTreeHead> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select tree_size, root, checkpoint, signature, public_key, published_at, "
                + "ed25519_signature, ed25519_public_key from audit_checkpoints " + tail)) {
            if (param >= 0) {
                ps.setLong(1, param);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new SignedTreeHead(rs.getLong(1), rs.getBytes(2), rs.getBytes(3), rs.getBytes(4), rs.getBytes(5),
                            rs.getTimestamp(6).toInstant(), rs.getBytes(7), rs.getBytes(8), List.of()));
                }
            }
        }
        return WitnessRecords.attach(c, out);
    }

    public List<byte[]> inclusionProof(long index, long treeSize) {
        ensureBuilt("tree_size", treeSize);
        if (index < 0 || index >= treeSize) {
            throw new OutOfRangeException("index", "leaf " + index + " is not in a tree of size " + treeSize);
        }
        return withPrefetchedNodes("computing an inclusion proof", nodes -> MerkleTree.inclusionProof(nodes, index, treeSize));
    }

    /**
     * Inclusion proofs of many leaves in one tree size, in one transaction: the nodes every proof
     * needs are found first (the proof algorithm reads nodes without branching on their values)
     * and fetched in one query, instead of one query per node.
     */
    public List<List<byte[]>> inclusionProofs(List<Long> indexes, long treeSize) {
        ensureBuilt("tree_size", treeSize);
        for (long index : indexes) {
            if (index < 0 || index >= treeSize) {
                throw new OutOfRangeException("index", "leaf " + index + " is not in a tree of size " + treeSize);
            }
        }
        return withPrefetchedNodes("computing inclusion proofs", nodes -> {
            List<List<byte[]>> out = new ArrayList<>(indexes.size());
            for (long i : indexes) {
                out.add(MerkleTree.inclusionProof(nodes, i, treeSize));
            }
            return out;
        });
    }

    public List<byte[]> consistencyProof(long first, long second) {
        ensureBuilt("second", second);
        if (first < 0 || first > second) {
            throw new OutOfRangeException("first", "is larger than second (" + first + " > " + second + ")");
        }
        return withPrefetchedNodes("computing a consistency proof", nodes -> MerkleTree.consistencyProof(nodes, first, second));
    }

    /** The root of any size the tree covers (for tests and tools). */
    public byte[] root(long size) {
        ensureBuilt("tree_size", size);
        return withPrefetchedNodes("computing a root", nodes -> MerkleTree.root(nodes, size));
    }

    /**
     * Runs a proof or root computation in one transaction, with every tile it reads fetched in one
     * query instead of one query per tile (seven for a proof at 50 million leaves). The Merkle algorithms
     * choose the nodes they read from sizes and indexes alone, never from hash values, so a dry
     * run over zero hashes finds them all.
     */
    private <T> T withPrefetchedNodes(String what, java.util.function.Function<NodeSource, T> computation) {
        java.util.Set<Long> needed = new java.util.HashSet<>();
        computation.apply((level, index) -> {
            needed.add(DbNodes.key(level, index));
            return new byte[MerkleHash.SIZE];
        });
        return db.inTransaction(what, c -> {
            DbNodes nodes = new DbNodes(c);
            nodes.prefetch(needed);
            return computation.apply(nodes);
        });
    }

    private long ensureBuilt(String field, long size) {
        long built = db.inTransaction("reading the tree size", c -> builtSize(c, false));
        if (size > built) {
            built = publish().size();
        }
        if (size > built || size < 0) {
            throw new OutOfRangeException(field, "the log has " + built + " leaves; size " + size + " does not exist yet");
        }
        return built;
    }

    @Override
    public String toString() {
        return "AuditTree[" + origin + "]";
    }
}
