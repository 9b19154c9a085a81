package io.escrow.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The log's leaves from one index on, read by one sequential scan of each deposits partition and
 * merged back into index order, all in one snapshot.
 *
 * <p>Why not the index: reading the whole log by audit-index range pulled the 12 GB deposits heap
 * of 50 M deposits through shared buffers and evicted the indexes every deposit needs (the
 * idempotency index fell from cached to 105 of 1,376 MB, and deposits then ran at 460/s for
 * seconds). PostgreSQL reads a table larger than a quarter of shared buffers by sequential scan
 * through a small ring of buffers instead; measured at 50.9 M deposits with 8 GB shared buffers,
 * both lookup indexes stayed fully cached across a scan of the heap, and none did across the same
 * heap read in TID ranges.
 *
 * <p>A partition is written in audit-index order, but only nearly: concurrent writers extend the
 * heap from their own target pages. So rows wait in a bounded queue until their index is next.
 * When the next index is not among the {@code maxPending} nearest rows, {@link #take} says so and
 * the caller reads that stretch by index ({@link #skipTo}); the result never depends on the
 * physical order, only the cost does.
 */
final class LeafScan implements AutoCloseable {
    /** Rows fetched from the server per round trip of each cursor. */
    static final int FETCH_ROWS = 2048;
    /** Batches each cursor reads ahead of the merge: a few MB a cursor at most. */
    static final int READ_AHEAD_BATCHES = 4;

    private final Connection c;
    private final SubjectHasher subjects;
    private final int maxPending;
    private final Source stored;
    private final List<Source> partitions = new ArrayList<>();
    /** Rows read but not yet next, by index; at one index a stored leaf comes before a deposit row. */
    private final PriorityQueue<Candidate> pending = new PriorityQueue<>(
            Comparator.comparingLong((Candidate k) -> k.row.index()).thenComparing(k -> !k.stored));
    private final Thread reader;
    private volatile boolean closing;
    private long next;

    private record Candidate(AuditReader.Row row, boolean stored) {}

    /**
     * Starts the scan on {@code c}, which it owns from now on (autocommit off; {@link #close}
     * ends the transaction but does not close the connection).
     */
    LeafScan(Connection c, SubjectHasher subjects, long from, int maxPending) throws SQLException {
        if (maxPending < 1) {
            throw new IllegalArgumentException("maxPending must be at least 1, not " + maxPending);
        }
        this.c = c;
        this.subjects = subjects;
        this.maxPending = maxPending;
        this.next = from;
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            // A scan that joined another one mid-table would start there and wrap: out of order.
            st.execute("set local synchronize_seqscans = off");
            // With no WHERE clause worth an index the planner scans anyway; this makes it certain.
            st.execute("set local enable_indexscan = off");
            st.execute("set local enable_bitmapscan = off");
            // If this process stops reading, the server ends the snapshot rather than keep it.
            st.execute("set local idle_in_transaction_session_timeout = '30s'");
        }
        stored = new Source(c, "select idx, logged_at, type, actor, leaf from audit_log where idx >= ? order by idx", from, true);
        List<String> names = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select c.relname from pg_inherits i "
                + "join pg_class c on c.oid = i.inhrelid where i.inhparent = 'deposits'::regclass order by c.relname")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        for (String name : names) {
            partitions.add(new Source(c, "select " + StoredDeposit.COLUMNS + " from \"" + name.replace("\"", "\"\"")
                    + "\" d where d.audit_index >= ?", from, false));
        }
        // The connection is the read-ahead thread's alone from here until close() has joined it.
        reader = new Thread(this::readAhead, "audit-leaf-scan");
        reader.setDaemon(true);
        reader.start();
    }

    /** The index the next {@link #take} returns. */
    long next() {
        return next;
    }

    /**
     * The leaf at {@link #next}, or null when this scan cannot give it: either {@link #exhausted}
     * (it was not committed when the scan began, or does not exist yet), or it is not among the
     * {@code maxPending} nearest rows.
     */
    AuditReader.Row take() throws SQLException {
        while (true) {
            Candidate head = pending.peek();
            while (head != null && head.row.index() < next) {
                pending.poll();
                head = pending.peek();
            }
            // A deposit row is only the leaf once audit_log, read in order, has passed its index.
            if (head != null && head.row.index() == next && (head.stored || stored.past(next))) {
                pending.poll();
                next++;
                return head.row;
            }
            Source from = !stored.done && stored.last < next ? stored : furthestBehind();
            if (from == null || pending.size() >= maxPending) {
                return null;
            }
            Candidate got = from.fetch();
            if (got != null) {
                pending.add(got);
            }
        }
    }

    /** True when every cursor is read to its end: the rest of the log is past this snapshot. */
    boolean exhausted() {
        if (!stored.done) {
            return false;
        }
        for (Source s : partitions) {
            if (!s.done) {
                return false;
            }
        }
        return true;
    }

    /** Moves on to {@code index}, once the caller has read the leaves before it some other way. */
    void skipTo(long index) {
        if (index < next) {
            throw new IllegalArgumentException("the scan is at " + next + ", past " + index);
        }
        next = index;
    }

    /** The partition cursor that has read the least far, which is where the next index most likely is. */
    private Source furthestBehind() {
        Source best = null;
        for (Source s : partitions) {
            if (!s.done && (best == null || s.last < best.last)) {
                best = s;
            }
        }
        return best;
    }

    @Override
    public void close() throws SQLException {
        closing = true;
        LockSupport.unpark(reader);
        boolean interrupted = false;
        // The connection may not be touched while the read-ahead thread is in a fetch.
        while (reader.isAlive()) {
            try {
                reader.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        try {
            for (Source s : partitions) {
                s.close();
            }
            stored.close();
        } finally {
            try {
                c.rollback();
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /**
     * Reads every cursor ahead of the merge on a thread of its own, a few batches each, so the
     * database's production of rows, their decoding and the leaves' hashing overlap the merge and
     * the caller's sending. Measured at 51.0 M deposits, reading and merging on one thread gave
     * 109,129 leaves/s, with the server idle waiting for the next fetch.
     */
    private void readAhead() {
        List<Source> all = new ArrayList<>(partitions);
        all.add(stored);
        try {
            while (!closing && !all.stream().allMatch(s -> s.endRead)) {
                boolean read = false;
                for (Source s : all) {
                    if (!s.endRead && s.batches.remainingCapacity() > 0) {
                        s.batches.add(s.readBatch());
                        s.ended = s.endRead;
                        read = true;
                    }
                }
                if (!read) {
                    LockSupport.parkNanos(this, 1_000_000);
                }
            }
        } catch (SQLException | RuntimeException e) {
            for (Source s : all) {
                s.failure = e;
                s.ended = true;
            }
        }
    }

    /** One server-side cursor, read {@link #FETCH_ROWS} rows at a time by the read-ahead thread. */
    private final class Source {
        private final PreparedStatement ps;
        private final ResultSet rs;
        private final boolean isStored;
        /** Batches read ahead. */
        private final ArrayBlockingQueue<List<Candidate>> batches = new ArrayBlockingQueue<>(READ_AHEAD_BATCHES);
        /** Set after the last batch is queued, or after {@link #failure}. */
        private volatile boolean ended;
        private volatile Exception failure;
        /** Read-ahead thread only: the cursor has no more rows. */
        private boolean endRead;
        /** Merge thread only. */
        private java.util.Iterator<Candidate> current = java.util.Collections.emptyIterator();
        private long last = -1;
        private boolean done;

        Source(Connection c, String sql, long from, boolean isStored) throws SQLException {
            this.isStored = isStored;
            ps = c.prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
            ps.setFetchSize(FETCH_ROWS);
            ps.setLong(1, from);
            rs = ps.executeQuery();
        }

        boolean past(long index) {
            return done || last >= index;
        }

        /** Read-ahead thread: the next batch of rows; a short one is the last. */
        List<Candidate> readBatch() throws SQLException {
            List<Candidate> batch = new ArrayList<>(FETCH_ROWS);
            while (batch.size() < FETCH_ROWS && rs.next()) {
                AuditReader.Row row;
                if (isStored) {
                    row = new AuditReader.Row(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4),
                            rs.getBytes(5));
                } else {
                    StoredDeposit d = StoredDeposit.read(rs, 1);
                    row = new AuditReader.Row(d.auditIndex(), d.depositedAt(), AuditLeaves.DEPOSIT, d.provider(), d.leaf(subjects));
                }
                batch.add(new Candidate(row, isStored));
            }
            endRead = batch.size() < FETCH_ROWS;
            return batch;
        }

        /** Merge thread: the next row of this cursor, or null at its end. */
        Candidate fetch() throws SQLException {
            while (!current.hasNext()) {
                Exception failed = failure;
                if (failed != null) {
                    done = true;
                    throw failed instanceof SQLException se ? se : new SQLException(failed.getMessage(), failed);
                }
                // Read before the queue: once set, every batch is already in it.
                boolean last = ended;
                List<Candidate> batch;
                try {
                    batch = batches.poll(10, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("interrupted while reading the log", e);
                }
                if (batch == null) {
                    if (last) {
                        done = true;
                        return null;
                    }
                    continue;
                }
                LockSupport.unpark(reader);
                current = batch.iterator();
            }
            Candidate next = current.next();
            // Partition rows come nearly in order; the highest index seen picks the cursor to read next.
            last = Math.max(last, next.row.index());
            return next;
        }

        void close() throws SQLException {
            try {
                rs.close();
            } finally {
                ps.close();
            }
        }
    }
}
