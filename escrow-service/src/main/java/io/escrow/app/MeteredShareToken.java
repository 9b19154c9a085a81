package io.escrow.app;

import io.escrow.threshold.ShareToken;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A custodian token with metrics: in-token ECDH latency ({@code escrow.custodian.ecdh.latency})
 * and failures ({@code escrow.custodian.ecdh.errors}), tagged with the custodian. Keeps the
 * threshold core and the PKCS#11 code free of any metrics library.
 */
final class MeteredShareToken extends io.escrow.threshold.ForwardingShareToken {
    private final Timer latency;
    private final Counter errors;

    MeteredShareToken(ShareToken token, MeterRegistry meters) {
        super(token);
        this.latency = Timer.builder("escrow.custodian.ecdh.latency").description("In-token ECDH per custodian")
                .tag("custodian", token.custodianId()).publishPercentiles(0.5, 0.99).register(meters);
        this.errors = Counter.builder("escrow.custodian.ecdh.errors").description("Failed in-token ECDH per custodian")
                .tag("custodian", token.custodianId()).register(meters);
    }

    @Override
    public byte[] deriveX(String keyId, ECPoint point) {
        long start = System.nanoTime();
        try {
            return token.deriveX(keyId, point);
        } catch (RuntimeException e) {
            errors.increment();
            throw e;
        } finally {
            latency.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }
}
