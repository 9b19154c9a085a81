package io.escrow.app;

import io.escrow.warrant.WarrantService;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Records expiries as they happen, so that the audit log shows each warrant's end even when
 * nobody asks about it. Reads and recoveries also check expiry themselves; replicas running this
 * at once do not conflict (rows are locked with SKIP LOCKED under the audit head lock).
 */
@ApplicationScoped
public class WarrantExpiry {
    private static final Logger LOG = Logger.getLogger(WarrantExpiry.class);
    static final long PERIOD_SECONDS = 5;

    private ScheduledExecutorService timer;

    void start(@Observes StartupEvent event, WarrantService warrants) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "warrant-expiry");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                int n = warrants.expireDue();
                if (n > 0) {
                    LOG.infof("%d warrant(s) expired", n);
                }
            } catch (RuntimeException e) {
                LOG.warnf("warrant expiry check failed: %s", e.getMessage());
            }
        }, PERIOD_SECONDS, PERIOD_SECONDS, TimeUnit.SECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
