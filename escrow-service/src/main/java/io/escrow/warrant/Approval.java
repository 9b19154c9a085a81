package io.escrow.warrant;

import java.time.Instant;

/**
 * One authority's recorded approval: who signed for it, when the service accepted it, and the
 * DER CMS it was accepted on (empty where only the verdict matters), so that anyone can check it
 * again and a custodian can name exactly these approvals in its consent.
 */
public record Approval(String authority, String signer, Instant approvedAt, byte[] cms) {
    public Approval {
        cms = cms == null ? new byte[0] : cms.clone();
    }

    public Approval(String authority, String signer, Instant approvedAt) {
        this(authority, signer, approvedAt, null);
    }

    @Override
    public byte[] cms() {
        return cms.clone();
    }
}
