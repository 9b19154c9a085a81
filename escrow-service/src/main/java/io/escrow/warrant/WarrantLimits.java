package io.escrow.warrant;

import io.escrow.config.ConfigValues;
import io.escrow.config.ConfigurationException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * Bounds on what a warrant may ask for, so that a single approval can never be stretched into
 * bulk access.
 *
 * <pre>
 * escrow.warrant.max-lifetime     longest not_before..not_after, ISO-8601 duration (default P30D)
 * escrow.warrant.max-records-cap  highest max_records a warrant may name (default 100000)
 * escrow.warrant.max-subjects     most subject_ids in one warrant (default 1000)
 * </pre>
 */
public record WarrantLimits(Duration maxLifetime, int maxRecordsCap, int maxSubjects) {
    public static final WarrantLimits DEFAULT = new WarrantLimits(Duration.ofDays(30), 100_000, 1000);

    public WarrantLimits {
        if (maxLifetime.isNegative() || maxLifetime.isZero()) {
            throw new ConfigurationException("escrow.warrant.max-lifetime must be positive");
        }
    }

    /**
     * The largest FileWarrant request this allows, with room to spare: every subject at the
     * longest an identifier may be, plus the other fields. The gRPC request size limit must
     * not be smaller, or an allowed warrant could not be filed.
     */
    public int largestFilingBytes() {
        return maxSubjects * (WarrantSpec.MAX_TEXT_BYTES + 3) + 16 * 1024;
    }

    /** Refuses a gRPC request limit that would turn away warrants these limits allow. */
    public void checkRequestLimit(int maxRequestBytes) {
        if (maxRequestBytes < largestFilingBytes()) {
            throw new ConfigurationException("quarkus.grpc.server.max-inbound-message-size (" + maxRequestBytes
                    + " bytes) is too small for escrow.warrant.max-subjects=" + maxSubjects + ": a warrant filing can take "
                    + largestFilingBytes() + " bytes; raise the request limit (ESCROW_GRPC_MAX_REQUEST_BYTES)");
        }
    }

    public static WarrantLimits load(Function<String, Optional<String>> get) {
        Duration lifetime = get.apply("escrow.warrant.max-lifetime").map(v -> {
            try {
                return Duration.parse(v.strip());
            } catch (RuntimeException e) {
                throw new ConfigurationException("escrow.warrant.max-lifetime must be an ISO-8601 duration such as P30D");
            }
        }).orElse(DEFAULT.maxLifetime());
        int cap = ConfigValues.intValue(get, "escrow.warrant.max-records-cap", DEFAULT.maxRecordsCap(), 1, Integer.MAX_VALUE);
        int subjects = ConfigValues.intValue(get, "escrow.warrant.max-subjects", DEFAULT.maxSubjects(), 1, 100_000);
        return new WarrantLimits(lifetime, cap, subjects);
    }
}
