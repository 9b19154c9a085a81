package io.escrow.consent;

import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.cms.VerifiedSignature;
import io.escrow.error.AccessDeniedException;
import io.escrow.error.EscrowException;
import io.escrow.error.InvalidArgumentException;
import io.escrow.hsm.TokenConfig;
import io.escrow.warrant.Warrant;
import io.escrow.warrant.WarrantService;
import io.escrow.warrant.WarrantState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * What an activation request must pass before any token is touched or anything is written: a
 * configured custodian acting for itself, a warrant the authorities have fully approved, a
 * bounded time and number of uses, a credential, and that custodian's signature over the
 * warrant's exact bytes, never used before.
 */
final class ActivationChecks {
    /** A request that passed every check, with what granting it needs. */
    record Checked(TokenConfig token, VerifiedSignature signature, byte[] cmsHash, Instant checkedAt, Instant expiresAt) {}

    private final Map<String, TokenConfig> custodians;
    private final TrustAnchors anchors;
    private final WarrantService warrants;
    private final ActivationRecords records;
    private final Clock clock;
    private final Duration maxTtl;

    ActivationChecks(Map<String, TokenConfig> custodians, TrustAnchors anchors, WarrantService warrants, ActivationRecords records,
                     Clock clock, Duration maxTtl) {
        this.custodians = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(custodians));
        this.anchors = anchors;
        this.warrants = warrants;
        this.records = records;
        this.clock = clock;
        this.maxTtl = maxTtl;
    }

    /**
     * @param development the caller is the fixed development identity, which may act for any custodian
     * @throws EscrowException naming the first check the request fails
     */
    Checked check(String caller, boolean development, ActivationRegistry.Request r) {
        TokenConfig token = custodians.get(r.custodianId());
        if (token == null) {
            throw new InvalidArgumentException("custodian_id", "'" + r.custodianId() + "' is not a configured custodian "
                    + custodians.keySet());
        }
        if (!development && !caller.equals(r.custodianId())) {
            throw new AccessDeniedException("caller " + caller + " may not activate the share of " + r.custodianId());
        }
        if (!anchors.names().contains(r.custodianId())) {
            throw new InvalidArgumentException("custodian_id", "'" + r.custodianId() + "' has no trust anchor configured "
                    + "(escrow.custodians." + r.custodianId() + ".trust-anchor)");
        }
        Warrant w = warrants.get(r.warrantId());
        // Consent is given to a warrant the authorities have fully approved, never in advance.
        if (warrants.state(w) != WarrantState.ACTIVE) {
            throw new ActivationRejectedException(EscrowException.Category.FAILED_PRECONDITION,
                    "cannot activate: " + w.whyNotActive(clock.instant(), warrants.policy()));
        }
        if (r.ttl() == null || r.ttl().isNegative() || r.ttl().isZero()) {
            throw new InvalidArgumentException("ttl", "is required and must be positive");
        }
        if (r.ttl().compareTo(maxTtl) > 0) {
            throw new InvalidArgumentException("ttl", "is longer than the allowed " + maxTtl);
        }
        if (r.maxUses() < 1 || r.maxUses() > ActivationRegistry.MAX_USES) {
            throw new InvalidArgumentException("max_uses", "must be 1.." + ActivationRegistry.MAX_USES);
        }
        if (r.credential() == null || r.credential().length == 0) {
            throw new InvalidArgumentException("credential", "is required");
        }
        Instant now = clock.instant();
        VerifiedSignature sig = CmsSignatureVerifier.verify(r.cms(), w.signedBytes(), anchors.only(r.custodianId()), w.filedAt(), now);
        byte[] cmsHash = ActivationRecords.sha256(r.cms());
        if (records.alreadyUsed(cmsHash)) {
            throw ActivationRecords.replay();
        }
        // An activation never outlives the warrant it was given for.
        Instant notAfter = Instant.ofEpochSecond(w.spec().notAfter());
        Instant expires = now.plus(r.ttl()).isAfter(notAfter) ? notAfter : now.plus(r.ttl());
        return new Checked(token, sig, cmsHash, now, expires);
    }
}
