package io.escrow.app;

import io.escrow.storage.Database;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Readiness: the database answers a trivial query. */
@Readiness
@ApplicationScoped
public class DatabaseHealthCheck implements HealthCheck {
    @Inject
    Database db;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("database").status(db.ping()).withData("database", db.description()).build();
    }
}
