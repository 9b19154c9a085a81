package io.escrow.consent;

import io.escrow.audit.AuditWriter;
import io.escrow.error.EscrowException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The one shape of an {@code activation_rejected} leaf, whichever path (agents or tokens in the service) refused. */
final class ActivationRejections {
    private ActivationRejections() {}

    /** Appends the leaf and returns the error to throw: the refusal is on the record before the caller learns of it. */
    static EscrowException audited(AuditWriter audit, String caller, String custodianId, String warrantId, EscrowException e) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("custodian_id", String.valueOf(custodianId));
        f.put("warrant_id", String.valueOf(warrantId));
        f.put("status", e.category().name());
        f.put("reason", e.getMessage());
        audit.append("activation_rejected", caller, f);
        return e;
    }
}
