package io.escrow.agent;

import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.cms.VerifiedSignature;
import io.escrow.error.InvalidArgumentException;
import java.time.Instant;

/** The one check of a custodian's signed statement at its agent: a detached CMS under the custodian's own anchor. */
final class CustodianSignature {
    private CustodianSignature() {}

    /** The verified signer, or INVALID_ARGUMENT on {@code field} naming the custodian whose anchor it failed. */
    static VerifiedSignature verify(String field, byte[] cms, byte[] statement, TrustAnchors custodianAnchor, String custodianId,
                                    Instant now) {
        try {
            return CmsSignatureVerifier.verify(cms, statement, custodianAnchor, Instant.EPOCH, now);
        } catch (InvalidArgumentException e) {
            throw new InvalidArgumentException(field, "does not verify against the anchor of " + custodianId + ": " + e.getMessage());
        }
    }
}
