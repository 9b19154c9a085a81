package io.escrow.deposit;

import io.escrow.audit.AuditAppender;
import io.escrow.audit.AuditEntry;
import io.escrow.audit.SubjectHasher;
import io.escrow.storage.Database;
import io.escrow.storage.StorageUnavailableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Durable deposit storage with group commit. Callers submit and get a future; one writer thread
 * drains whatever is waiting (up to {@link #MAX_BATCH}) into a single transaction that
 *
 * <ol>
 *   <li>locks the audit head, which serializes writers across replicas, so the idempotency check
 *       that follows cannot race with another insert of the same (provider, provider_record_id);</li>
 *   <li>answers replays of identical deposits with their original receipt, and different contents
 *       under a used provider_record_id with ALREADY_EXISTS;</li>
 *   <li>inserts the new deposits and their {@code deposit} audit leaves, with consecutive indexes.</li>
 * </ol>
 *
 * Futures complete only after COMMIT returns, so no receipt is ever sent for a deposit that is not
 * durable. While one batch commits, the next one fills: throughput grows with load.
 */
public final class DepositLog implements AutoCloseable {
    public static final int MAX_BATCH = 2048;
    public static final int MAX_QUEUED = 65_536;

    private final Database db;
    private final SubjectHasher subjects;
    private final Clock clock;
    private final Consumer<String> log;
    private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final Thread writer;
    /**
     * Completing a future runs the caller's continuation (serialising and sending the receipt);
     * doing that here keeps the writer free to start the next batch at once.
     */
    private final java.util.concurrent.ExecutorService completer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "deposit-receipts");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean running = true;
    private Connection connection;

    private final Counter accepted;
    private final Counter replayed;
    private final MeterRegistry meters;
    private final Timer latency;
    private final DistributionSummary batchSize;

    private record Pending(String provider, Deposit deposit, long submittedNanos, CompletableFuture<Receipt> result) {}

    public DepositLog(Database db, SubjectHasher subjects, MeterRegistry meters, Clock clock, Consumer<String> log) {
        this.db = db;
        this.subjects = subjects;
        this.clock = clock;
        this.log = log;
        this.meters = meters;
        this.accepted = Counter.builder("escrow.deposits.accepted").description("Deposits committed (new records)").register(meters);
        this.replayed = Counter.builder("escrow.deposits.replayed").description("Identical deposits answered with their original receipt").register(meters);
        this.latency = Timer.builder("escrow.deposit.latency").description("Time from submission to durable commit")
                .publishPercentiles(0.5, 0.99).register(meters);
        this.batchSize = DistributionSummary.builder("escrow.deposit.batch.size").description("Deposits per commit")
                .publishPercentiles(0.5, 0.99).register(meters);
        this.writer = new Thread(this::run, "deposit-writer");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /** Counts a rejected deposit by reason (the invalid field, already_exists, overloaded, unavailable). */
    public void rejected(String reason) {
        Counter.builder("escrow.deposits.rejected").description("Deposits refused, by reason").tag("reason", reason)
                .register(meters).increment();
    }

    /** Queues a validated deposit; the future completes after commit, or fails with a typed error. */
    public CompletableFuture<Receipt> submit(String provider, Deposit deposit) {
        CompletableFuture<Receipt> f = new CompletableFuture<>();
        if (!running) {
            f.completeExceptionally(new StorageUnavailableException("the deposit log is shutting down", null));
        } else if (!queue.offer(new Pending(provider, deposit, System.nanoTime(), f))) {
            rejected("overloaded");
            f.completeExceptionally(new DepositOverloadedException(queue.size()));
        }
        return f;
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (running || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                commit(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                log.accept("deposit writer: unexpected error: " + e);
                batch.forEach(p -> p.result().completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
        closeConnection();
    }

    private void commit(List<Pending> batch) {
        try {
            Connection c = connection();
            try {
                Map<Pending, Object> outcomes = write(c, batch);
                c.commit();
                // Only now, with the batch durable, does any caller learn its outcome.
                long now = System.nanoTime();
                batchSize.record(batch.size());
                List<Pending> committed = List.copyOf(batch);
                completer.execute(() -> deliver(committed, outcomes, now));
            } catch (SQLException | RuntimeException e) {
                rollback(c);
                throw e;
            }
        } catch (SQLException e) {
            closeConnection();
            StorageUnavailableException failure = new StorageUnavailableException("deposit commit failed: " + e.getMessage(), e);
            log.accept(failure.getMessage());
            for (Pending p : batch) {
                if (!p.result().isDone()) {
                    rejected("unavailable");
                    p.result().completeExceptionally(failure);
                }
            }
        }
    }

    private void deliver(List<Pending> batch, Map<Pending, Object> outcomes, long committedNanos) {
        for (Pending p : batch) {
            Object outcome = outcomes.get(p);
            if (outcome instanceof Receipt r) {
                (r.replayed() ? replayed : accepted).increment();
                latency.record(committedNanos - p.submittedNanos(), TimeUnit.NANOSECONDS);
                p.result().complete(r);
            } else {
                rejected("already_exists");
                p.result().completeExceptionally((Throwable) outcome);
            }
        }
    }

    /**
     * Writes one batch inside an open transaction and returns each deposit's outcome: a
     * {@link Receipt} or a {@link DepositConflictException}. Outcomes are delivered after commit.
     */
    private Map<Pending, Object> write(Connection c, List<Pending> batch) throws SQLException {
        long next = AuditAppender.lockHead(c);
        Map<String, Map<String, Object[]>> existing = existing(c, batch);
        Map<Pending, Object> receipts = new LinkedHashMap<>();
        Map<String, Pending> firstInBatch = new HashMap<>();
        List<Pending> fresh = new ArrayList<>();
        Map<Pending, UUID> ids = new HashMap<>();
        for (Pending p : batch) {
            String key = p.provider() + '\u0000' + p.deposit().providerRecordId();
            Object[] old = existing.getOrDefault(p.provider(), Map.of()).get(p.deposit().providerRecordId());
            Pending earlier = firstInBatch.get(key);
            if (old != null) {
                if (p.deposit().sameContent((byte[]) old[1])) {
                    receipts.put(p, new Receipt((UUID) old[0], p.deposit().providerRecordId(), (Long) old[2], true));
                } else {
                    receipts.put(p, new DepositConflictException(p.deposit().providerRecordId()));
                }
            } else if (earlier != null) {
                // The same provider_record_id twice in one batch: the second is a replay or a conflict.
                if (p.deposit().sameContent(earlier.deposit().digestBytes())) {
                    receipts.put(p, null);
                } else {
                    receipts.put(p, new DepositConflictException(p.deposit().providerRecordId()));
                }
            } else {
                firstInBatch.put(key, p);
                fresh.add(p);
                ids.put(p, UUID.randomUUID());
            }
        }
        Instant now = clock.instant();
        List<AuditEntry> leaves = new ArrayList<>(fresh.size());
        for (Pending p : fresh) {
            Deposit d = p.deposit();
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("record_id", ids.get(p).toString());
            fields.put("provider", p.provider());
            fields.put("subject_hash", subjects.hash(d.subjectId()));
            fields.put("key_id", d.keyId());
            fields.put("covers_from", d.coversFrom());
            fields.put("covers_until", d.coversUntil());
            leaves.add(AuditEntry.of("deposit", now, p.provider(), fields));
        }
        AuditAppender.append(c, next, leaves);
        insert(c, fresh, ids, next, now);
        for (int i = 0; i < fresh.size(); i++) {
            Pending p = fresh.get(i);
            receipts.put(p, new Receipt(ids.get(p), p.deposit().providerRecordId(), next + i, false));
        }
        // In-batch replays take the receipt of the first occurrence.
        for (Map.Entry<Pending, Object> e : receipts.entrySet()) {
            if (e.getValue() == null) {
                Pending first = firstInBatch.get(e.getKey().provider() + '\u0000' + e.getKey().deposit().providerRecordId());
                Receipt r = (Receipt) receipts.get(first);
                e.setValue(new Receipt(r.recordId(), r.providerRecordId(), r.auditIndex(), true));
            }
        }
        return receipts;
    }

    /** provider -> provider_record_id -> {record_id, request_digest, audit_index} for ids already stored. */
    private static Map<String, Map<String, Object[]>> existing(Connection c, List<Pending> batch) throws SQLException {
        Map<String, List<String>> byProvider = new HashMap<>();
        for (Pending p : batch) {
            byProvider.computeIfAbsent(p.provider(), k -> new ArrayList<>()).add(p.deposit().providerRecordId());
        }
        Map<String, Map<String, Object[]>> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("select provider_record_id, record_id, request_digest, audit_index "
                + "from deposits where provider = ? and provider_record_id = any(?::text[])")) {
            for (Map.Entry<String, List<String>> e : byProvider.entrySet()) {
                ps.setString(1, e.getKey());
                ps.setArray(2, c.createArrayOf("text", e.getValue().toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.computeIfAbsent(e.getKey(), k -> new HashMap<>()).put(rs.getString(1),
                                new Object[] {rs.getObject(2, UUID.class), rs.getBytes(3), rs.getLong(4)});
                    }
                }
            }
        }
        return out;
    }

    private static void insert(Connection c, List<Pending> fresh, Map<Pending, UUID> ids, long firstIndex, Instant now)
            throws SQLException {
        if (fresh.isEmpty()) {
            return;
        }
        int n = fresh.size();
        UUID[] recordId = new UUID[n];
        String[] provider = new String[n];
        String[] providerRecordId = new String[n];
        String[] subject = new String[n];
        String[] keyId = new String[n];
        Long[] from = new Long[n];
        Long[] until = new Long[n];
        byte[][] enc = new byte[n][];
        byte[][] ct = new byte[n][];
        byte[][] digest = new byte[n][];
        Long[] auditIndex = new Long[n];
        for (int i = 0; i < n; i++) {
            Pending p = fresh.get(i);
            Deposit d = p.deposit();
            recordId[i] = ids.get(p);
            provider[i] = p.provider();
            providerRecordId[i] = d.providerRecordId();
            subject[i] = d.subjectId();
            keyId[i] = d.keyId();
            from[i] = d.coversFrom();
            until[i] = d.coversUntil();
            enc[i] = d.encRef();
            ct[i] = d.ciphertextRef();
            digest[i] = d.digestBytes();
            auditIndex[i] = firstIndex + i;
        }
        try (PreparedStatement ps = c.prepareStatement("insert into deposits (record_id, provider, provider_record_id, "
                + "subject_id, key_id, covers_from, covers_until, enc, ciphertext, request_digest, audit_index, deposited_at) "
                + "select r, p, pr, s, k, cf, cu, e, ct, dg, ai, ? from unnest(?::uuid[], ?::text[], ?::text[], ?::text[], "
                + "?::text[], ?::bigint[], ?::bigint[], ?::bytea[], ?::bytea[], ?::bytea[], ?::bigint[]) "
                + "as u(r, p, pr, s, k, cf, cu, e, ct, dg, ai)")) {
            ps.setTimestamp(1, Timestamp.from(now));
            Object[][] columns = {recordId, provider, providerRecordId, subject, keyId, from, until, enc, ct, digest, auditIndex};
            String[] types = {"uuid", "text", "text", "text", "text", "bigint", "bigint", "bytea", "bytea", "bytea", "bigint"};
            for (int i = 0; i < columns.length; i++) {
                Array a = c.createArrayOf(types[i], columns[i]);
                ps.setArray(i + 2, a);
            }
            ps.executeUpdate();
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = db.connection();
            connection.setAutoCommit(false);
        }
        return connection;
    }

    private void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            closeConnection();
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // Already broken; the pool replaces it.
            }
            connection = null;
        }
    }

    /** Stops accepting deposits, commits what is queued, and stops the writer. */
    @Override
    public void close() {
        running = false;
        try {
            writer.join(30_000);
            completer.shutdown();
            completer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
