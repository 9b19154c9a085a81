package io.escrow.client;

import java.util.Objects;
import java.util.UUID;

/**
 * The service's acknowledgement of one deposit: sent only after the record and its audit leaf
 * were committed durably. {@code keyId} is the escrow key the deposit was sealed to.
 */
public record Receipt(UUID recordId, String providerRecordId, long auditIndex, String keyId) {
    public Receipt {
        Objects.requireNonNull(recordId, "recordId");
        Objects.requireNonNull(providerRecordId, "providerRecordId");
        Objects.requireNonNull(keyId, "keyId");
        if (auditIndex < 0) {
            throw new IllegalArgumentException("audit index " + auditIndex + " is negative");
        }
    }
}
