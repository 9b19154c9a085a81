package io.escrow.agent;

import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.cms.VerifiedSignature;
import io.escrow.consent.ConsentStatement;
import io.escrow.error.EscrowException;
import io.escrow.error.InvalidArgumentException;
import io.escrow.warrant.Approval;
import io.escrow.warrant.SignedBytes;
import io.escrow.warrant.WarrantPolicy;
import io.escrow.warrant.WarrantSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A warrant as a custodian agent accepts it: its signed bytes decoded, and approvals that the
 * agent verified itself against its own copy of the authorities' anchors and CRLs, meeting the
 * agent's own policy. Nothing here comes from the service's word.
 *
 * @param approvals the DER CMS of each verified approval, by authority name
 */
public record VerifiedWarrant(String warrantId, WarrantSpec spec, byte[] signedBytes, SortedMap<String, byte[]> approvals) {
    public VerifiedWarrant {
        signedBytes = signedBytes.clone();
        SortedMap<String, byte[]> copy = new TreeMap<>();
        approvals.forEach((k, v) -> copy.put(k, v.clone()));
        approvals = copy;
    }

    /**
     * Verifies a warrant's evidence.
     *
     * @param approvals CMS signatures by the authority the sender says signed each; every one
     *                  must verify as that authority, and a name the agent does not know is refused
     * @throws EscrowException (INVALID_ARGUMENT or FAILED_PRECONDITION) naming the first problem
     */
    public static VerifiedWarrant verify(String warrantId, byte[] signedBytes, SortedMap<String, byte[]> approvals,
                                         TrustAnchors authorities, WarrantPolicy policy, Instant now) {
        SignedBytes.Decoded decoded = SignedBytes.decode("warrant.signed_bytes", signedBytes);
        if (!decoded.warrantId().equals(warrantId)) {
            throw new InvalidArgumentException("warrant.warrant_id", "'" + warrantId + "' is not the warrant_id the signed "
                    + "bytes name (" + decoded.warrantId() + ")");
        }
        List<Approval> verified = new ArrayList<>();
        for (var e : approvals.entrySet()) {
            if (!authorities.names().contains(e.getKey())) {
                throw new InvalidArgumentException("warrant.approvals", "'" + e.getKey()
                        + "' is not an authority this agent trusts " + authorities.names());
            }
            VerifiedSignature sig;
            try {
                sig = verifyApproval(e.getKey(), e.getValue(), signedBytes, decoded.spec(), authorities, now);
            } catch (InvalidArgumentException bad) {
                throw new InvalidArgumentException("warrant.approvals", "the approval given as " + e.getKey()
                        + "'s does not verify against this agent's anchor for " + e.getKey() + ": " + bad.getMessage());
            }
            verified.add(new Approval(sig.name(), sig.signer(), now));
        }
        if (!policy.isMetBy(verified)) {
            throw new AgentRefusedException("warrant " + warrantId + " lacks approvals this agent requires, from "
                    + String.join(", ", policy.missing(verified)));
        }
        return new VerifiedWarrant(warrantId, decoded.spec(), signedBytes, approvals);
    }

    /**
     * One approval checked as {@code authority}'s, against that authority's anchor and CRLs only.
     * The earliest valid signing time is unknown to a custodian (it did not see the filing): the
     * signed not_before less a day bounds how far a signature may be backdated.
     *
     * @throws InvalidArgumentException when it does not verify
     */
    public static VerifiedSignature verifyApproval(String authority, byte[] cms, byte[] signedBytes, WarrantSpec spec,
                                                   TrustAnchors authorities, Instant now) {
        Instant earliest = Instant.ofEpochSecond(Math.max(0, spec.notBefore() - 86_400));
        return CmsSignatureVerifier.verify(cms, signedBytes, authorities.only(authority), earliest, now);
    }

    /** The digest a consent statement names for these approvals ({@link ConsentStatement#approvalsDigest}). */
    public byte[] approvalsDigest() {
        return ConsentStatement.approvalsDigest(approvals);
    }

    public byte[] signedBytesSha256() {
        return ConsentStatement.sha256(signedBytes);
    }

    @Override
    public byte[] signedBytes() {
        return signedBytes.clone();
    }
}
