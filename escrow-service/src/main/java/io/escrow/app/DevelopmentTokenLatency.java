package io.escrow.app;

import io.escrow.bench.DelayedShareToken;
import io.escrow.config.ConfigurationException;
import io.escrow.config.EscrowSettings;
import io.escrow.threshold.ShareToken;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * {@code escrow.embedded.token-latency} (e.g. 2ms): for benchmarks only, every in-token ECDH of
 * the embedded SoftHSM custodian tokens first waits this long, as a network HSM's round trip
 * would, so that {@code escrowctl load --token-latency} can measure how well recovery hides it.
 * Refused with real HSMs (escrow.hsm.mode=pkcs11), so it can never slow a production service.
 */
record DevelopmentTokenLatency(Duration delay) {
    private static final Logger LOG = Logger.getLogger(DevelopmentTokenLatency.class);
    static final String KEY = "escrow.embedded.token-latency";

    static DevelopmentTokenLatency load(EscrowSettings settings, Function<String, Optional<String>> config) {
        Optional<String> set = config.apply(KEY);
        if (set.isEmpty()) {
            return new DevelopmentTokenLatency(Duration.ZERO);
        }
        if (settings.hsmMode() != EscrowSettings.HsmMode.EMBEDDED) {
            throw new ConfigurationException(KEY + " is for benchmarks on the embedded SoftHSM tokens only; remove it with "
                    + "escrow.hsm.mode=" + settings.hsmMode().name().toLowerCase());
        }
        Duration d;
        try {
            d = DelayedShareToken.parse(KEY, set.get());
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(e.getMessage());
        }
        if (!d.isZero()) {
            LOG.warnf("BENCHMARK: every in-token ECDH waits %d µs first (%s), as a network HSM's round trip would",
                    d.toNanos() / 1000, KEY);
        }
        return new DevelopmentTokenLatency(d);
    }

    /** {@code token}, behind the delay when there is one. */
    ShareToken apply(ShareToken token) {
        return delay.isZero() ? token : new DelayedShareToken(token, delay);
    }
}
