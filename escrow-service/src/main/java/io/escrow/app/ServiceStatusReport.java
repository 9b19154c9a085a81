package io.escrow.app;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * The readiness checks, run on request, for escrowctl status: the same checks Kubernetes probes,
 * so an operator sees exactly why a replica is or is not ready, custodian by custodian.
 */
@ApplicationScoped
public class ServiceStatusReport {
    /** One check's outcome and data. */
    public record Check(String name, boolean up, Map<String, String> data) {}

    @Inject
    @Readiness
    @Any
    Instance<HealthCheck> readiness;

    public List<Check> run() {
        List<Check> out = new ArrayList<>();
        for (HealthCheck check : readiness) {
            HealthCheckResponse r;
            try {
                r = check.call();
            } catch (RuntimeException e) {
                out.add(new Check(check.getClass().getSimpleName(), false, Map.of("problem", String.valueOf(e.getMessage()))));
                continue;
            }
            Map<String, String> data = new TreeMap<>();
            r.getData().ifPresent(d -> d.forEach((k, v) -> data.put(k, String.valueOf(v))));
            out.add(new Check(r.getName(), r.getStatus() == HealthCheckResponse.Status.UP, data));
        }
        return out;
    }
}
