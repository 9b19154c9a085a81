package io.escrow.app;

import io.escrow.audit.AuditTree;
import io.escrow.audit.SignedTreeHead;
import io.escrow.audit.WitnessRecords;
import io.escrow.witness.AddCheckpointRequest;
import io.escrow.witness.WitnessClient;
import io.escrow.witness.WitnessSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Submits each new tree head to every configured witness (c2sp.org/tlog-witness), with the
 * consistency proof from the size that witness last cosigned, and stores the cosignatures it
 * returns. A witness that answers 409 with its size is asked again from that size; one that
 * refuses or cannot be reached is retried with exponential backoff (1 s doubling to 60 s), and
 * each change of problem is logged once (a log line, not an audit entry: witnessing is about the
 * log, and must not grow it). Metrics per witness: lag, cosigned size, failures by reason.
 */
final class WitnessPublisher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WitnessPublisher.class);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
    static final Duration URGENT_RETRY = Duration.ofMillis(500);

    private final AuditTree tree;
    private final WitnessRecords records;
    private final WitnessClient client;
    private final Clock clock;
    private final List<Tracked> witnesses;
    private final ExecutorService pool;

    WitnessPublisher(AuditTree tree, WitnessRecords records, WitnessSettings settings, Clock clock, MeterRegistry meters) {
        this.tree = tree;
        this.records = records;
        this.client = new WitnessClient(Duration.ofSeconds(Math.max(1, Math.min(10, settings.timeout().toSeconds()))));
        this.clock = clock;
        this.witnesses = settings.witnesses().stream().map(w -> new Tracked(w, meters)).toList();
        this.pool = Executors.newFixedThreadPool(Math.max(1, witnesses.size()), r -> {
            Thread t = new Thread(r, "witness-submit");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Offers {@code head} (the newest) to every witness that is idle and has not cosigned it. A
     * witness backing off is skipped, unless {@code urgent} (a recovery waits for the quorum):
     * then it is asked at most every {@link #URGENT_RETRY}, so a witness that returns is used at once.
     */
    void offer(SignedTreeHead head, boolean urgent) {
        Instant now = clock.instant();
        for (Tracked w : witnesses) {
            w.seen(head);
            if (w.busy.compareAndSet(false, true)) {
                boolean due = !now.isBefore(w.notBefore) || urgent && !now.isBefore(w.lastAttempt.plus(URGENT_RETRY));
                if (!due || w.hasCosigned(head)) {
                    w.busy.set(false);
                    continue;
                }
                w.lastAttempt = now;
                pool.execute(() -> {
                    try {
                        submit(w, head);
                    } finally {
                        w.busy.set(false);
                    }
                });
            }
        }
    }

    private void submit(Tracked w, SignedTreeHead offered) {
        SignedTreeHead head = offered;
        try {
            long old = w.cosignedSize >= 0 ? w.cosignedSize : records.cosignedSize(w.config.name()).orElse(0);
            for (int attempt = 0; attempt < 3; attempt++) {
                if (old > head.size()) {
                    // Another replica may have published (and had cosigned) a newer head than the
                    // one offered here: only a witness ahead of every stored head is a conflict.
                    long witnessed = old;
                    SignedTreeHead newest = tree.latest().filter(h -> h.size() >= witnessed).orElse(null);
                    if (newest != null) {
                        head = newest;
                        continue;
                    }
                    fail(w, "conflict", "the witness has cosigned size " + old + ", beyond this log's head " + head.size()
                            + ": another view of the log was shown to it, or this database lost leaves");
                    return;
                }
                List<byte[]> proof = old == 0 || old == head.size() ? List.of() : tree.consistencyProof(old, head.size());
                WitnessClient.Outcome o = client.submit(w.config, new AddCheckpointRequest(old, proof, head.note()));
                if (o instanceof WitnessClient.Cosigned c) {
                    records.record(w.config.name(), head.size(), c.cosignatures(), clock.instant());
                    w.cosigned(head);
                    return;
                }
                if (o instanceof WitnessClient.SizeConflict s && s.size() != old) {
                    records.progress(w.config.name(), s.size(), clock.instant());
                    w.cosignedSize = s.size();
                    w.cosignedRoot = null;
                    old = s.size();
                    continue;
                }
                if (o instanceof WitnessClient.SizeConflict s) {
                    fail(w, "conflict", "the witness cosigned size " + s.size() + " with another root: a split view");
                } else {
                    WitnessClient.Refused r = (WitnessClient.Refused) o;
                    fail(w, r.reason(), (r.status() == 422 ? "this log's tree does not extend the head the witness cosigned "
                            + "at size " + old + " (a split view, or leaves lost here): " : "") + "HTTP " + r.status() + ": " + r.detail());
                }
                return;
            }
            fail(w, "conflict", "the witness's size kept changing while we submitted");
        } catch (IOException e) {
            fail(w, "unreachable", e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            fail(w, "error", e.getMessage());
        }
    }

    private void fail(Tracked w, String reason, String detail) {
        w.failures++;
        long delay = Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(6, w.failures - 1));
        w.notBefore = clock.instant().plusMillis(delay);
        w.counter(reason).increment();
        String problem = reason + ": " + detail;
        if (!Objects.equals(problem, w.lastProblem)) {
            LOG.warnf("witness %s (%s): %s; retrying in %d ms", w.config.name(), w.config.url(), problem, delay);
        }
        w.lastProblem = problem;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    /** One witness's progress as this replica sees it. */
    private final class Tracked {
        final WitnessSettings.Configured config;
        final MeterRegistry meters;
        final AtomicBoolean busy = new AtomicBoolean();
        volatile long cosignedSize = -1;
        /** The root of the head this witness cosigned at cosignedSize; null when the size was learned from a 409. */
        volatile byte[] cosignedRoot;
        volatile Instant uncosignedSince;
        volatile Instant notBefore = Instant.EPOCH;
        volatile Instant lastAttempt = Instant.EPOCH;
        volatile int failures;
        volatile String lastProblem;

        Tracked(WitnessSettings.Configured config, MeterRegistry meters) {
            this.config = config;
            this.meters = meters;
            Gauge.builder("escrow.audit.witness.lag.seconds", this, t -> t.uncosignedSince == null ? 0
                            : Duration.between(t.uncosignedSince, clock.instant()).toMillis() / 1000.0)
                    .description("Seconds since the oldest tree head this witness has not cosigned was published (0: up to date)")
                    .tag("witness", config.name()).register(meters);
            Gauge.builder("escrow.audit.witness.cosigned.size", this, t -> Math.max(0, t.cosignedSize))
                    .description("Tree size this witness last cosigned").tag("witness", config.name()).register(meters);
        }

        Counter counter(String reason) {
            return Counter.builder("escrow.audit.witness.failures").description("Failed submissions to a witness, by reason")
                    .tag("witness", config.name()).tag("reason", reason).register(meters);
        }

        void seen(SignedTreeHead head) {
            if (uncosignedSince == null && head.size() > cosignedSize) {
                uncosignedSince = head.publishedAt();
            }
        }

        boolean hasCosigned(SignedTreeHead head) {
            return cosignedSize == head.size() && cosignedRoot != null && java.util.Arrays.equals(cosignedRoot, head.root());
        }

        void cosigned(SignedTreeHead head) {
            cosignedSize = head.size();
            cosignedRoot = head.root();
            uncosignedSince = null;
            failures = 0;
            notBefore = Instant.EPOCH;
            if (lastProblem != null) {
                LOG.infof("witness %s cosigns again (size %d)", config.name(), head.size());
            }
            lastProblem = null;
        }
    }
}
