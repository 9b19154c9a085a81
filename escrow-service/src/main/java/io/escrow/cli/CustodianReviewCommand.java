package io.escrow.cli;

import io.escrow.agent.WarrantReview;
import io.escrow.cms.TrustAnchors;
import io.escrow.config.ConfigurationException;
import io.escrow.error.EscrowException;
import io.escrow.proto.v1.Warrant;
import io.escrow.warrant.WarrantPolicy;
import io.grpc.ManagedChannel;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** escrowctl custodian review: a custodian checks a warrant's approvals itself before consenting. */
@Command(name = "review", mixinStandardHelpOptions = true,
        header = "Review a warrant's approvals against your own anchors, as a custodian.",
        description = {"Review a warrant, as a custodian, without trusting the service's word: fetch it, verify every",
                "approval's CMS against your own copy of the authorities' CA certificates and CRLs (--authorities),",
                "and print its scope in plain words. Exits 1 if the approvals that verify do not meet the policy."})
final class CustodianReviewCommand implements Callable<Integer> {
    @Option(names = "--warrant", required = true, description = "The warrant_id.")
    String warrantId;

    @Mixin
    ReviewOptions review;

    @Mixin
    ClientChannels channels;

    @Mixin
    Output output;

    @Override
    public Integer call() {
        ManagedChannel channel = channels.open();
        try {
            Warrant w = WarrantReadCommands.fetch(channel, warrantId);
            WarrantReview r = review.review(w);
            output.print(json(w, r), o -> print(w, r, o));
            return r.policyMet() ? 0 : CliException.REFUSED;
        } finally {
            channel.shutdownNow();
        }
    }

    /** Where the custodian's own anchors and policy come from; shared by review and activate. */
    static final class ReviewOptions {
        @Option(names = "--authorities",
                description = "Your own directory of the authorities' CA certificates, <name>.pem, each with an optional <name>.crl.")
        Path authorities;

        @Option(names = "--policy", description = "The authorities a warrant needs, comma-separated (default: every one in --authorities).")
        String policy;

        WarrantReview review(Warrant w) {
            if (authorities == null) {
                throw CliException.usage("give --authorities DIR: your own copy of the authorities' CA certificates");
            }
            TrustAnchors anchors;
            WarrantPolicy required;
            try {
                anchors = TrustAnchors.fromDirectory(authorities);
                required = WarrantPolicy.of(policy, anchors.names());
            } catch (ConfigurationException e) {
                throw CliException.usage("--authorities " + authorities + ": " + e.getMessage());
            }
            WarrantView.signedSpec(w);
            try {
                return WarrantReview.of(w.getWarrantId(), w.getSignedBytes().toByteArray(), approvals(w), anchors, required,
                        Instant.now());
            } catch (EscrowException e) {
                throw CliException.refused("warrant " + w.getWarrantId() + ": " + e.getMessage());
            }
        }
    }

    static Map<String, byte[]> approvals(Warrant w) {
        Map<String, byte[]> out = new TreeMap<>();
        w.getApprovalsList().forEach(a -> out.put(a.getAuthority(), a.getCmsSignature().toByteArray()));
        return out;
    }

    static Map<String, Object> json(Warrant w, WarrantReview r) {
        Map<String, Object> m = new LinkedHashMap<>(WarrantView.json(w));
        List<Map<String, Object>> checks = new ArrayList<>();
        for (WarrantReview.Check c : r.checks()) {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("authority", c.authority());
            cm.put("verified", c.verified());
            c.signer().ifPresent(s -> cm.put("signer", s));
            c.problem().ifPresent(p -> cm.put("problem", p));
            checks.add(cm);
        }
        m.put("review", Map.of("approvals", checks, "policy_met", r.policyMet(), "missing", r.missing()));
        return m;
    }

    static void print(Warrant w, WarrantReview r, PrintStream o) {
        o.printf("warrant %s (the service says %s)%n", w.getWarrantId(), w.getState());
        o.printf("  case %s, requested by %s%n", w.getSpec().getCaseReference(), w.getSpec().getRequestingAgency());
        WarrantView.printScope(w.getSpec(), o);
        o.println("approvals, checked against your own anchors:");
        if (r.checks().isEmpty()) {
            o.println("  none");
        }
        for (WarrantReview.Check c : r.checks()) {
            o.printf("  %-10s %s%n", c.authority(), c.verified() ? "verified: signed by " + c.signer().get()
                    : "DOES NOT VERIFY: " + c.problem().get());
        }
        o.println(r.policyMet() ? "the policy is met by approvals you verified yourself."
                : "the policy is NOT met: no verified approval from " + String.join(", ", r.missing()) + ". Do not consent.");
    }
}
