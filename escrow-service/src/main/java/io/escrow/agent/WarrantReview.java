package io.escrow.agent;

import io.escrow.cms.TrustAnchors;
import io.escrow.cms.VerifiedSignature;
import io.escrow.error.EscrowException;
import io.escrow.warrant.Approval;
import io.escrow.warrant.SignedBytes;
import io.escrow.warrant.WarrantPolicy;
import io.escrow.warrant.WarrantSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A custodian's own review of a warrant before consenting: every approval checked against the
 * custodian's copy of the authorities' anchors and CRLs, each with its outcome, and the policy
 * judged on the approvals that verified. Unlike {@link VerifiedWarrant#verify}, which refuses at
 * the first problem, a review reports all of them, so a person sees why.
 */
public record WarrantReview(String warrantId, WarrantSpec spec, List<Check> checks, List<String> missing) {

    /** One approval's outcome: its signer when it verified, else why not. */
    public record Check(String authority, Optional<String> signer, Optional<String> problem) {
        public boolean verified() {
            return signer.isPresent();
        }
    }

    public WarrantReview {
        checks = List.copyOf(checks);
        missing = List.copyOf(missing);
    }

    /**
     * @param approvals the approvals the service lists, by the authority it says signed each
     * @throws EscrowException when the signed bytes do not decode or name another warrant
     */
    public static WarrantReview of(String warrantId, byte[] signedBytes, Map<String, byte[]> approvals, TrustAnchors authorities,
                                   WarrantPolicy policy, Instant now) {
        SignedBytes.Decoded decoded = SignedBytes.decode("signed_bytes", signedBytes);
        if (!decoded.warrantId().equals(warrantId)) {
            throw new AgentRefusedException("the signed bytes name warrant " + decoded.warrantId() + ", not " + warrantId);
        }
        List<Check> checks = new ArrayList<>();
        List<Approval> verified = new ArrayList<>();
        for (var e : new TreeMap<>(approvals).entrySet()) {
            if (!authorities.names().contains(e.getKey())) {
                checks.add(new Check(e.getKey(), Optional.empty(), Optional.of("your anchors hold no authority named '"
                        + e.getKey() + "' (you have " + authorities.names() + ")")));
                continue;
            }
            try {
                VerifiedSignature sig = VerifiedWarrant.verifyApproval(e.getKey(), e.getValue(), signedBytes, decoded.spec(),
                        authorities, now);
                checks.add(new Check(e.getKey(), Optional.of(sig.signer()), Optional.empty()));
                verified.add(new Approval(sig.name(), sig.signer(), now));
            } catch (EscrowException bad) {
                checks.add(new Check(e.getKey(), Optional.empty(), Optional.of(bad.getMessage())));
            }
        }
        return new WarrantReview(warrantId, decoded.spec(), checks, policy.missing(verified));
    }

    public boolean policyMet() {
        return missing.isEmpty();
    }

    /** The approvals that verified, by authority: what a consent statement names. */
    public SortedMap<String, byte[]> verifiedApprovals(Map<String, byte[]> approvals) {
        SortedMap<String, byte[]> out = new TreeMap<>();
        for (Check c : checks) {
            if (c.verified()) {
                out.put(c.authority(), approvals.get(c.authority()).clone());
            }
        }
        return out;
    }
}
