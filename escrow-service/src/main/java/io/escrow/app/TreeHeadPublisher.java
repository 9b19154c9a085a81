package io.escrow.app;

import io.escrow.audit.AuditTree;
import io.escrow.audit.SignedTreeHead;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Publishes a signed tree head every second while new leaves arrive (contract: at least every
 * second), and exposes the log's size and the age of its newest head as metrics. Every replica
 * runs this; the tree's row lock lets one build at a time and the others find the work done.
 */
@ApplicationScoped
public class TreeHeadPublisher {
    private static final Logger LOG = Logger.getLogger(TreeHeadPublisher.class);
    static final Duration PERIOD = Duration.ofSeconds(1);

    private final AtomicLong logSize = new AtomicLong();
    private final AtomicReference<SignedTreeHead> latest = new AtomicReference<>();
    private ScheduledExecutorService timer;
    private volatile String lastProblem;
    private WitnessPublisher witnesses;
    private AuditTree tree;
    private final java.util.concurrent.atomic.AtomicBoolean soon = new java.util.concurrent.atomic.AtomicBoolean();

    void start(@Observes StartupEvent event, AuditTree tree, MeterRegistry meters, io.escrow.witness.WitnessSettings witnessSettings,
               io.escrow.audit.WitnessRecords witnessRecords) {
        this.tree = tree;
        if (!witnessSettings.witnesses().isEmpty()) {
            witnesses = new WitnessPublisher(tree, witnessRecords, witnessSettings, java.time.Clock.systemUTC(), meters);
            LOG.infof("witnesses: %s; releases need cosignatures from %d of them", witnessSettings.witnesses().stream()
                    .map(w -> w.name() + " " + w.url()).toList(), witnessSettings.quorum());
        }
        Gauge.builder("escrow.audit.log.size", logSize, AtomicLong::get).description("Leaves committed to the audit log")
                .register(meters);
        Gauge.builder("escrow.audit.checkpoint.size", latest, r -> r.get() == null ? 0 : r.get().size())
                .description("Tree size of the newest signed tree head").register(meters);
        Gauge.builder("escrow.audit.checkpoint.age.seconds", latest,
                        r -> r.get() == null ? Double.NaN : Duration.between(r.get().publishedAt(), Instant.now()).toMillis() / 1000.0)
                .description("Seconds since the newest signed tree head was published").register(meters);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tree-head-publisher");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> tick(tree, false), 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Publishes and offers the head to the witnesses now instead of at the next tick; a recovery
     * waiting for its release leaves to be witnessed calls this. Calls while one is pending merge.
     */
    public void publishSoon() {
        if (timer != null && soon.compareAndSet(false, true)) {
            timer.execute(() -> {
                soon.set(false);
                tick(tree, true);
            });
        }
    }

    /** @param urgent a recovery waits for witnesses: ask them even while backing off */
    private void tick(AuditTree tree, boolean urgent) {
        try {
            long committed = tree.committedSize();
            logSize.set(committed);
            SignedTreeHead head = latest.get();
            // A head larger than the log: this replica signed a commit that the database no longer
            // holds (never acknowledged, lost in a failover). The database is the truth.
            if (head != null && head.size() > committed) {
                LOG.warnf("the audit log holds %d leaves, fewer than the %d this replica last signed (a failover lost "
                        + "an unacknowledged commit); publishing from the database's log", committed, head.size());
                head = null;
            }
            if (head == null || head.size() < committed) {
                head = tree.publish();
                latest.set(head);
            }
            if (witnesses != null && head != null) {
                witnesses.offer(head, urgent);
            }
            if (lastProblem != null && head != null) {
                LOG.infof("tree heads are published again (size %d) after: %s", head.size(), lastProblem);
            }
            lastProblem = null;
        } catch (RuntimeException e) {
            String problem = e.getMessage();
            if (!java.util.Objects.equals(problem, lastProblem)) {
                LOG.errorf("cannot publish a tree head: %s", problem);
            }
            lastProblem = problem;
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
        if (witnesses != null) {
            witnesses.close();
        }
    }
}
