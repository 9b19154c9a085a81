package io.escrow.warrant;

import java.time.Instant;

/** One authority's recorded approval: who signed for it and when the service accepted it. */
public record Approval(String authority, String signer, Instant approvedAt) {}
