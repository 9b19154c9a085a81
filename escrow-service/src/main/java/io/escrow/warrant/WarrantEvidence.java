package io.escrow.warrant;

import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.cms.VerifiedSignature;
import io.escrow.error.EscrowException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Re-checks a stored warrant against the evidence it was accepted on, so that someone who can
 * write to the database but holds no authority key cannot widen what a recovery releases:
 *
 * <ul>
 *   <li>the stored spec must encode to exactly the stored {@code signed_bytes};</li>
 *   <li>every approval row must hold a CMS signature that verifies over those bytes and chains to
 *       the anchor of the authority the row names (a copied row under another name fails);</li>
 *   <li>the approvals that verify must meet the policy on their own;</li>
 *   <li>the cap's counter must match the release rows it counts.</li>
 * </ul>
 *
 * A coordinated deletion of release rows and of the counter is not visible here; the release
 * leaves in the log (and, with custodian agents, each agent's own count) are the record of that.
 */
public final class WarrantEvidence {
    private WarrantEvidence() {}

    /** What a stored warrant holds besides its row: its approvals' signatures and its release rows. */
    public record Stored(Warrant warrant, List<WarrantStore.StoredApproval> approvals, int releaseRows) {
        public Stored {
            approvals = List.copyOf(approvals);
        }
    }

    /** Every way the stored warrant disagrees with its evidence; empty when it agrees. */
    public static List<String> problems(Stored stored, TrustAnchors authorities, WarrantPolicy policy, Instant now) {
        Warrant w = stored.warrant();
        List<String> out = new ArrayList<>();
        byte[] signed = w.signedBytes();
        String differing = firstDifferingField(SignedBytes.encode(w.warrantId(), w.spec()), signed);
        if (differing != null) {
            out.add("the stored " + differing + " differs from the signed bytes");
        }
        List<Approval> verified = new ArrayList<>();
        for (WarrantStore.StoredApproval a : stored.approvals()) {
            if (!authorities.names().contains(a.authority())) {
                out.add("an approval is recorded for '" + a.authority() + "', which is not a configured authority");
                continue;
            }
            try {
                VerifiedSignature sig = CmsSignatureVerifier.verify(a.cms(), signed, authorities.only(a.authority()),
                        w.filedAt(), now);
                verified.add(new Approval(sig.name(), sig.signer(), now));
            } catch (EscrowException e) {
                out.add("the approval recorded for " + a.authority() + " does not verify as " + a.authority() + ": "
                        + e.getMessage());
            }
        }
        if (!policy.isMetBy(verified)) {
            out.add("the approvals that verify do not meet the policy; missing " + String.join(", ", policy.missing(verified)));
        }
        if (stored.releaseRows() != w.recordsReleased()) {
            out.add("records_released is " + w.recordsReleased() + " but " + stored.releaseRows() + " releases are recorded");
        }
        return out;
    }

    /**
     * Why a warrant row read again (under lock, page by page) no longer matches the signed bytes
     * verified when the recovery started, or null when it still does.
     */
    public static String changedSince(Warrant now, byte[] verifiedSignedBytes) {
        String field = firstDifferingField(verifiedSignedBytes, now.signedBytes());
        if (field == null) {
            field = firstDifferingField(verifiedSignedBytes, SignedBytes.encode(now.warrantId(), now.spec()));
        }
        return field == null ? null : "the stored " + field + " of warrant " + now.warrantId() + " changed during the recovery";
    }

    /**
     * The name of the first line where two encodings differ (for example
     * {@code recipient_public_key}), or null when they are equal.
     */
    static String firstDifferingField(byte[] expected, byte[] actual) {
        if (Arrays.equals(expected, actual)) {
            return null;
        }
        String[] a = new String(expected, StandardCharsets.UTF_8).split("\n", -1);
        String[] b = new String(actual, StandardCharsets.UTF_8).split("\n", -1);
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            String x = i < a.length ? a[i] : "";
            String y = i < b.length ? b[i] : "";
            if (!x.equals(y)) {
                String line = x.isEmpty() ? y : x;
                int eq = line.indexOf('=');
                return eq > 0 ? line.substring(0, eq) : "warrant";
            }
        }
        return "warrant";
    }
}
