package io.escrow.consent;

import io.escrow.testing.TestAuthorities;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The service with custodian consent required on the in-service token path (no agents): it logs
 * in to a custodian token only with the PIN that custodian sends to ActivateShare.
 */
public class ConsentProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "escrow.custodian.consent", "required",
                "escrow.custodian.activation-lock-wait", "PT1S",
                "escrow.embedded.agents", "false",
                "escrow.custodians.custodian-1.trust-anchor", TestAuthorities.DIR.resolve("custodian-1/ca.pem").toString(),
                "escrow.custodians.custodian-2.trust-anchor", TestAuthorities.DIR.resolve("custodian-2/ca.pem").toString(),
                "escrow.custodians.custodian-3.trust-anchor", TestAuthorities.DIR.resolve("custodian-3/ca.pem").toString());
    }
}
