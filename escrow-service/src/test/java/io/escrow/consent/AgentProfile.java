package io.escrow.consent;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The embedded service with agent-backed custodians: one custodian agent per SoftHSM token runs
 * in the process on loopback and is reached over gRPC, as a remote one would be. The service
 * holds no custodian PIN and no consent.
 */
public class AgentProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("escrow.custodian.consent", "required", "escrow.embedded.agents", "true");
    }
}
