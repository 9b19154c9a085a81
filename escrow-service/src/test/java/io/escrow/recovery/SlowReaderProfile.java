package io.escrow.recovery;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** The embedded service with a 2 s limit on a recovery whose client reads nothing. */
public class SlowReaderProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("escrow.recovery.slow-reader-timeout", "PT2S");
    }
}
