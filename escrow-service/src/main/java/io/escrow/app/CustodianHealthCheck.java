package io.escrow.app;

import io.escrow.hsm.CustodianTokens;
import io.escrow.keys.KeyRegistry;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.P256;
import io.escrow.threshold.ShareToken;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Arrays;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness: each custodian token must answer x(s_i·G) equal to its recorded public share, which
 * proves it is reachable, logged in, and holds the right share; with custodian agents, each agent
 * must answer as its own custodian. Ready when at least t pass.
 */
@Readiness
@ApplicationScoped
public class CustodianHealthCheck implements HealthCheck {
    /** Present only when escrow.embedded.token-latency slows the embedded tokens down (benchmarks). */
    public static final String TOKEN_LATENCY = "benchmark_token_latency_us";

    @Inject
    CustodianTokens tokens;

    @Inject
    KeyRegistry registry;

    @Inject
    io.escrow.config.EscrowSettings settings;

    @Inject
    jakarta.inject.Provider<CustodianAgents> agents;

    @Inject
    DevelopmentTokenLatency latency;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("custodian-tokens");
        if (!latency.delay().isZero()) {
            // So that a benchmark (escrowctl load --token-latency) can tell which service it measures.
            b.withData(TOKEN_LATENCY, latency.delay().toNanos() / 1000);
        }
        Optional<KeyRecord> key = registry.current();
        if (key.isEmpty()) {
            return b.down().withData("problem", "no escrow key yet; run escrowctl ceremony").build();
        }
        KeyRecord k = key.get();
        var viaAgents = agents.get().consents();
        if (viaAgents.isPresent()) {
            // The service reaches no custodian token: each agent must answer, as its own custodian.
            int up = 0;
            for (var e : viaAgents.get().reachability().entrySet()) {
                b.withData(e.getKey(), e.getValue());
                up += e.getValue().startsWith("UP") ? 1 : 0;
            }
            b.withData("key_id", k.keyId()).withData("threshold", k.threshold()).withData("agents_up", up);
            return b.status(up >= k.threshold()).build();
        }
        if (settings.consent() == io.escrow.config.EscrowSettings.Consent.REQUIRED) {
            // No session exists outside activations, so readiness checks that each token is present.
            int present = 0;
            for (var c : settings.custodians()) {
                String problem = io.escrow.hsm.Pkcs11Slots.problemFinding(c);
                b.withData(c.custodianId(), problem == null ? "UP: present; opened only under activations" : "DOWN: " + problem);
                present += problem == null ? 1 : 0;
            }
            b.withData("key_id", k.keyId()).withData("threshold", k.threshold()).withData("present", present);
            return b.status(present >= k.threshold()).build();
        }
        int healthy = 0;
        for (ShareToken token : tokens.available()) {
            var share = k.shareOf(token.custodianId());
            if (share.isEmpty()) {
                continue;
            }
            try {
                boolean ok = Arrays.equals(token.deriveX(k.keyId(), P256.G), P256.xBytes(share.get().publicShare()));
                b.withData(token.custodianId(), ok ? "UP" : "DOWN: token holds the wrong share");
                healthy += ok ? 1 : 0;
            } catch (RuntimeException e) {
                tokens.markFailed(token.custodianId(), e.getMessage());
                b.withData(token.custodianId(), "DOWN: " + e.getMessage());
            }
        }
        tokens.unavailable().forEach(f -> b.withData(f.custodianId(), "DOWN: " + f.problem()));
        b.withData("key_id", k.keyId()).withData("threshold", k.threshold()).withData("healthy", healthy);
        return b.status(healthy >= k.threshold()).build();
    }
}
