package io.escrow.app;

import io.escrow.audit.DepositLeafCompaction;
import io.escrow.storage.Database;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Runs the {@link DepositLeafCompaction} left by migration V12 in the background, with progress in
 * the log, until it is done; the service serves meanwhile, since leaves read the same either way.
 * A database created at V12 or later has nothing to compact and starts no thread.
 */
@ApplicationScoped
public class DepositLeafCompactor {
    private static final Logger LOG = Logger.getLogger(DepositLeafCompactor.class);
    private static final long PROGRESS_EVERY_NANOS = 5_000_000_000L;

    private volatile Thread worker;

    void start(@Observes StartupEvent event, Database db) {
        DepositLeafCompaction compaction = new DepositLeafCompaction(db);
        DepositLeafCompaction.Progress at = compaction.progress();
        if (at.done()) {
            return;
        }
        LOG.infof("deposit leaves stored before migration V12: checking and removing the second copy of each, "
                + "indexes %,d to %,d, in the background", at.next(), at.end());
        Thread t = new Thread(() -> run(compaction), "deposit-leaf-compaction");
        t.setDaemon(true);
        worker = t;
        t.start();
    }

    private static void run(DepositLeafCompaction compaction) {
        long removed = 0;
        long kept = 0;
        long lastReport = System.nanoTime();
        while (!Thread.currentThread().isInterrupted()) {
            DepositLeafCompaction.Progress p;
            try {
                p = compaction.step();
            } catch (RuntimeException e) {
                LOG.warnf("deposit leaf compaction: a step failed (%s); trying again in 10 s", e.getMessage());
                if (!sleep(10_000)) {
                    return;
                }
                continue;
            }
            removed += p.removed();
            kept += p.kept();
            if (p.done()) {
                LOG.infof("deposit leaf compaction done: %,d leaves now read from their deposits rows; %,d kept in audit_log "
                        + "(not equal to their rebuild, or their row is gone)", removed, kept);
                return;
            }
            if (System.nanoTime() - lastReport > PROGRESS_EVERY_NANOS) {
                lastReport = System.nanoTime();
                LOG.infof("deposit leaf compaction: %,d of %,d indexes (%.1f%%), %,d removed, %,d kept", p.next(), p.end(),
                        100.0 * p.next() / p.end(), removed, kept);
            }
        }
    }

    private static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void stop(@Observes ShutdownEvent event) {
        Thread t = worker;
        if (t != null) {
            t.interrupt();
        }
    }
}
