package io.escrow.deposit;

import io.escrow.keys.KeyRetiredException;
import io.escrow.storage.Database;
import io.escrow.storage.StorageUnavailableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Durable deposit storage with group commit. Callers submit and get a future; one writer thread
 * drains whatever is waiting (up to {@link #MAX_BATCH}), taking the waiting providers in turn
 * ({@link FairQueue}), and stores it as one {@link DepositBatch}:
 * one round trip that locks the audit head (serializing writers across replicas, so the
 * idempotency check cannot race with another insert of the same provider_record_id), answers
 * replays and conflicts, inserts the new deposits with their {@code deposit} audit leaves at
 * consecutive indexes, and commits.
 *
 * Futures complete only after that commit, so no receipt is ever sent for a deposit that is not
 * durable. While one batch commits, the next one fills: throughput grows with load.
 */
public final class DepositLog implements AutoCloseable {
    public static final int MAX_BATCH = 2048;
    public static final int MAX_QUEUED = 65_536;
    /**
     * The most one provider may have waiting: half the queue, so a provider that floods (or
     * fills every DepositStream window it may open, 8 x 4,096) leaves room for the others.
     */
    public static final int MAX_QUEUED_PER_PROVIDER = MAX_QUEUED / 2;

    private final Database db;
    private final Clock clock;
    private final RecordIds recordIds;
    private final Consumer<String> log;
    private final DepositPartitions partitions = new DepositPartitions();
    private final FairQueue<Pending> queue = new FairQueue<>(MAX_QUEUED, MAX_QUEUED_PER_PROVIDER);
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

    private record Pending(DepositBatch.Submission submission, long submittedNanos, CompletableFuture<Receipt> result) {}

    public DepositLog(Database db, MeterRegistry meters, Clock clock, Consumer<String> log) {
        this.db = db;
        this.clock = clock;
        this.recordIds = new RecordIds(clock);
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
        } else {
            FairQueue.Refusal refusal = queue.offer(provider, new Pending(new DepositBatch.Submission(provider, deposit), System.nanoTime(), f));
            if (refusal != FairQueue.Refusal.NONE) {
                rejected("overloaded");
                f.completeExceptionally(refusal == FairQueue.Refusal.KEY_FULL
                        ? DepositOverloadedException.providerShare(provider, queue.perKeyCapacity())
                        : new DepositOverloadedException(queue.size()));
            }
        }
        return f;
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (running || queue.size() > 0) {
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

    private void commit(List<Pending> all) {
        try {
            List<Pending> batch = withoutRetiredKeys(all);
            List<Optional<Receipt>> stored;
            try {
                stored = store(batch);
            } catch (SQLException e) {
                if (!DepositPartitions.isRetirementRace(e)) {
                    throw e;
                }
                // A key was retired since this process last looked: refuse its deposits, store the rest.
                partitions.forget();
                batch = withoutRetiredKeys(batch);
                stored = store(batch);
            }
            // Only now, with the batch durable, does any caller learn its outcome.
            long now = System.nanoTime();
            batchSize.record(batch.size());
            List<Pending> committed = List.copyOf(batch);
            List<Optional<Receipt>> outcomes = stored;
            completer.execute(() -> deliver(committed, outcomes, now));
        } catch (SQLException e) {
            closeConnection();
            StorageUnavailableException failure = new StorageUnavailableException("deposit commit failed: " + e.getMessage(), e);
            log.accept(failure.getMessage());
            for (Pending p : all) {
                if (!p.result().isDone()) {
                    rejected("unavailable");
                    p.result().completeExceptionally(failure);
                }
            }
        }
    }

    private List<Optional<Receipt>> store(List<Pending> batch) throws SQLException {
        if (batch.isEmpty()) {
            return List.of();
        }
        return DepositBatch.store(connection(), batch.stream().map(Pending::submission).toList(), recordIds, clock.instant());
    }

    /** Refuses the deposits under retired keys (making the partitions of keys not seen before); returns the rest. */
    private List<Pending> withoutRetiredKeys(List<Pending> batch) throws SQLException {
        Set<String> retired = partitions.ensure(connection(), batch.stream().map(p -> p.submission().deposit().keyId()).toList());
        if (retired.isEmpty()) {
            return batch;
        }
        List<Pending> rest = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            String keyId = p.submission().deposit().keyId();
            if (retired.contains(keyId)) {
                rejected("key_retired");
                p.result().completeExceptionally(new KeyRetiredException(keyId));
            } else {
                rest.add(p);
            }
        }
        return rest;
    }

    private void deliver(List<Pending> batch, List<Optional<Receipt>> outcomes, long committedNanos) {
        for (int i = 0; i < batch.size(); i++) {
            Pending p = batch.get(i);
            Optional<Receipt> outcome = outcomes.get(i);
            if (outcome.isPresent()) {
                Receipt r = outcome.get();
                (r.replayed() ? replayed : accepted).increment();
                latency.record(committedNanos - p.submittedNanos(), TimeUnit.NANOSECONDS);
                p.result().complete(r);
            } else {
                rejected("already_exists");
                p.result().completeExceptionally(new DepositConflictException(p.submission().deposit().providerRecordId()));
            }
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = db.connection();
            connection.setAutoCommit(true);
        }
        return connection;
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
