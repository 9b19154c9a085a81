package io.escrow.deposit;

import java.util.UUID;

/** What a provider gets back once its deposit and the deposit's audit leaf are committed. */
public record Receipt(UUID recordId, String providerRecordId, long auditIndex, boolean replayed) {}
