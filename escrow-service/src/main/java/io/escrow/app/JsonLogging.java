package io.escrow.app;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.logging.Handler;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logmanager.LogContext;

/**
 * One JSON object per log line when {@code escrow.log.json=true} (the Kubernetes manifests set
 * {@code ESCROW_LOG_JSON=true}), through {@link JsonLogFormatter}. It is switched
 * on first thing at startup, before the database, tokens and ceremony log anything; only the
 * framework's few boot lines before that stay plain text.
 */
@ApplicationScoped
public class JsonLogging {
    @ConfigProperty(name = "escrow.log.json", defaultValue = "false")
    boolean json;

    void onStart(@Observes @Priority(1) StartupEvent event) {
        if (!json) {
            return;
        }
        JsonLogFormatter formatter = new JsonLogFormatter();
        for (Handler h : LogContext.getLogContext().getLogger("").getHandlers()) {
            h.setFormatter(formatter);
            if (h instanceof org.jboss.logmanager.ExtHandler ext) {
                for (Handler child : ext.getHandlers()) {
                    child.setFormatter(formatter);
                }
            }
        }
    }
}
