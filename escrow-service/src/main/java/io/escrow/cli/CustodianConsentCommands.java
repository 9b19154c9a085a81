package io.escrow.cli;

import com.google.protobuf.ByteString;
import io.escrow.agent.AgentConsent;
import io.escrow.agent.WarrantReview;
import io.escrow.consent.ConsentStatement;
import io.escrow.proto.v1.ActivateShareRequest;
import io.escrow.proto.v1.Activation;
import io.escrow.proto.v1.CustodianServiceGrpc;
import io.escrow.proto.v1.DeactivateShareRequest;
import io.escrow.proto.v1.ListActivationsRequest;
import io.escrow.proto.v1.Warrant;
import io.escrow.transport.GrpcAgentLink;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * escrowctl custodian activate, deactivate and list: a custodian's consent, given to its own agent
 * directly (--agent) or through the service, which forwards it. No PIN ever goes to the service.
 */
final class CustodianConsentCommands {
    private CustodianConsentCommands() {}

    /** The custodian's own agent, when the custodian talks to it directly. */
    static final class AgentTarget {
        @Option(names = "--agent", defaultValue = "${env:ESCROW_AGENT}",
                description = "Your agent's host:port; without it, the service forwards to your agent (env ESCROW_AGENT).")
        String agent;

        @Option(names = "--agent-tls-ca", defaultValue = "${env:ESCROW_AGENT_TLS_CA}", description = "The PEM CA of your agent's certificate.")
        Path ca;

        @Option(names = "--agent-tls-cert", defaultValue = "${env:ESCROW_AGENT_TLS_CERT}",
                description = "Your PEM client certificate for the agent (one of its --custodian-subject).")
        Path cert;

        @Option(names = "--agent-tls-key", defaultValue = "${env:ESCROW_AGENT_TLS_KEY}", description = "The PEM PKCS#8 key of --agent-tls-cert.")
        Path key;

        Optional<GrpcAgentLink> open(String custodianId) {
            if (agent == null) {
                return Optional.empty();
            }
            boolean any = ca != null || cert != null || key != null;
            if (any && (ca == null || cert == null || key == null)) {
                throw CliException.usage("give all of --agent-tls-ca, --agent-tls-cert and --agent-tls-key, or none (loopback plaintext)");
            }
            Optional<GrpcAgentLink.Tls> tls = Optional.empty();
            if (any) {
                tls = Optional.of(new GrpcAgentLink.Tls(CliFiles.requireReadable("--agent-tls-ca", ca),
                        CliFiles.requireReadable("--agent-tls-cert", cert), CliFiles.requireReadable("--agent-tls-key", key)));
            }
            return Optional.of(new GrpcAgentLink(custodianId, agent, tls, Duration.ofSeconds(30), new SimpleMeterRegistry()));
        }
    }

    @Command(name = "activate", mixinStandardHelpOptions = true,
        header = "Consent to one warrant, as a custodian, at your own agent.",
            description = {"Consent, as a custodian, to one warrant. Reviews it first (as custodian review; --no-review skips",
                    "that), then signs an escrow/v1/consent statement naming its exact signed bytes and approvals, with",
                    "your key (PEM files or a smart card), and gives it to your own agent. The PIN of a smart card is",
                    "asked for without echo (or read from --pin-file or --pin-env), wiped after use, and never sent anywhere."})
    static final class Activate implements Callable<Integer> {
        @Option(names = "--warrant", required = true, description = "The warrant_id.")
        String warrantId;

        @Option(names = "--custodian", required = true, description = "Your custodian id, e.g. custodian-1.")
        String custodianId;

        @Option(names = "--uses", description = "The most records your share may open under this consent (default: the warrant's max_records).")
        Integer uses;

        @Option(names = "--ttl", defaultValue = "PT24H",
                description = "How long the consent lasts, as an ISO-8601 duration (default: ${DEFAULT-VALUE}; never past the warrant's end).")
        Duration ttl;

        @Option(names = "--no-review", description = "Skip the review; your agent still verifies the approvals itself.")
        boolean noReview;

        @Mixin
        CustodianReviewCommand.ReviewOptions review;

        @Mixin
        SignerOptions signer;

        @Mixin
        AgentTarget agentTarget;

        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            if (ttl.isNegative() || ttl.isZero()) {
                throw CliException.usage("--ttl must be positive");
            }
            SignerOptions.Ready key = signer.open();
            ManagedChannel channel = channels.open();
            PrintStream shown = output.json ? System.err : System.out;
            try {
                Warrant w = WarrantReadCommands.fetch(channel, warrantId);
                SortedMap<String, byte[]> listed = new TreeMap<>(CustodianReviewCommand.approvals(w));
                SortedMap<String, byte[]> named = listed;
                if (!noReview) {
                    WarrantReview r = review.review(w);
                    CustodianReviewCommand.print(w, r, shown);
                    if (!r.policyMet()) {
                        throw CliException.refused("not consenting: the policy is not met by approvals you verified");
                    }
                    named = r.verifiedApprovals(listed);
                    if (named.size() != listed.size() && agentTarget.agent == null) {
                        throw CliException.refused("not consenting through the service: it would forward approvals you could not "
                                + "verify; give your agent's address with --agent to consent to the verified ones only");
                    }
                }
                Instant now = Instant.now();
                Instant end = now.plus(ttl);
                Instant warrantEnd = Instant.ofEpochSecond(w.getSpec().getNotAfter().getSeconds());
                if (end.isAfter(warrantEnd)) {
                    end = warrantEnd;
                }
                int maxUses = uses != null ? uses : (int) Math.min(Integer.toUnsignedLong(w.getSpec().getMaxRecords()), ConsentStatement.MAX_USES);
                byte[] statement;
                try {
                    statement = ConsentStatement.of(custodianId, warrantId, w.getSignedBytes().toByteArray(), named, maxUses, end).encode();
                } catch (RuntimeException e) {
                    throw CliException.usage("cannot make the consent statement: " + e.getMessage());
                }
                shown.println("the consent you sign:");
                new String(statement, StandardCharsets.UTF_8).lines().forEach(l -> shown.println("  | " + l));
                SignerOptions.Signed signed = key.sign(statement);
                Map<String, Object> doc = deliver(channel, named, w, statement, signed.cms(), maxUses);
                output.print(doc, o -> o.printf("custodian %s consented to warrant %s: %s until %s, %s use(s) left (%s)%n",
                        custodianId, warrantId, doc.get("state"), doc.get("expires_at"), doc.get("uses_left"), doc.get("via")));
                return 0;
            } finally {
                channel.shutdownNow();
            }
        }

        private Map<String, Object> deliver(ManagedChannel channel, SortedMap<String, byte[]> approvals, Warrant w, byte[] statement,
                                            byte[] signature, int maxUses) {
            Optional<GrpcAgentLink> link = agentTarget.open(custodianId);
            if (link.isPresent()) {
                try (GrpcAgentLink agent = link.get()) {
                    return json(agent.activate(warrantId, w.getSignedBytes().toByteArray(), approvals, statement, signature),
                            "your agent at " + agentTarget.agent);
                }
            }
            try {
                Activation a = CustodianServiceGrpc.newBlockingStub(channel).activateShare(ActivateShareRequest.newBuilder()
                        .setCustodianId(custodianId).setWarrantId(warrantId).setConsentStatement(ByteString.copyFrom(statement))
                        .setCmsSignature(ByteString.copyFrom(signature)).setMaxUses(maxUses).build());
                return json(a, "the service, which forwarded it to your agent");
            } catch (StatusRuntimeException e) {
                String why = String.valueOf(e.getStatus().getDescription());
                if (e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT && why.startsWith("credential: is required")) {
                    throw CliException.refused("this service holds custodian " + custodianId + "'s token itself and asks for its "
                            + "PIN; escrowctl never sends a PIN to the service. Run your own agent (escrowctl custodian serve).");
                }
                throw e;
            }
        }
    }

    @Command(name = "deactivate", mixinStandardHelpOptions = true,
            description = "Withdraw your consent to one warrant, at your agent (--agent) or through the service.")
    static final class Deactivate implements Callable<Integer> {
        @Option(names = "--warrant", required = true, description = "The warrant_id.")
        String warrantId;

        @Option(names = "--custodian", required = true, description = "Your custodian id.")
        String custodianId;

        @Mixin
        AgentTarget agentTarget;

        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            Map<String, Object> doc;
            Optional<GrpcAgentLink> link = agentTarget.open(custodianId);
            if (link.isPresent()) {
                try (GrpcAgentLink agent = link.get()) {
                    doc = json(agent.deactivate(warrantId), "your agent at " + agentTarget.agent);
                }
            } else {
                doc = channels.call(channel -> json(CustodianServiceGrpc.newBlockingStub(channel).deactivateShare(
                        DeactivateShareRequest.newBuilder().setCustodianId(custodianId).setWarrantId(warrantId).build()), "the service"));
            }
            output.print(doc, o -> o.printf("custodian %s's consent to warrant %s is %s%n", custodianId, warrantId, doc.get("state")));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List consents: your agent's (--agent, all warrants or one), or a warrant's, as the service reports them.")
    static final class ListCommand implements Callable<Integer> {
        @Option(names = "--warrant", description = "Only this warrant (required through the service).")
        String warrantId;

        @Option(names = "--custodian", description = "Your custodian id (with --agent).")
        String custodianId;

        @Mixin
        AgentTarget agentTarget;

        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            List<Map<String, Object>> rows;
            if (agentTarget.agent != null) {
                if (custodianId == null) {
                    throw CliException.usage("with --agent, give --custodian");
                }
                try (GrpcAgentLink agent = agentTarget.open(custodianId).orElseThrow()) {
                    rows = agent.list(warrantId == null ? "" : warrantId).stream().map(a -> json(a, "agent")).toList();
                }
            } else {
                if (warrantId == null) {
                    throw CliException.usage("through the service, give --warrant (or ask your agent with --agent)");
                }
                rows = channels.call(channel -> CustodianServiceGrpc.newBlockingStub(channel).listActivations(ListActivationsRequest
                        .newBuilder().setWarrantId(warrantId).build()).getActivationsList().stream().map(a -> json(a, "service")).toList());
            }
            output.print(Map.of("activations", rows), o -> {
                if (rows.isEmpty()) {
                    o.println("no consents");
                }
                rows.forEach(r -> o.printf("%-14s %-38s %-11s until %s, %s use(s) left%n", r.get("custodian_id"), r.get("warrant_id"),
                        r.get("state"), r.get("expires_at"), r.get("uses_left")));
            });
            return 0;
        }
    }

    static Map<String, Object> json(AgentConsent a, String via) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("custodian_id", a.custodianId());
        m.put("warrant_id", a.warrantId());
        m.put("state", a.state().name());
        m.put("expires_at", a.expiresAt().toString());
        m.put("uses_left", a.usesLeft());
        m.put("records_opened", a.recordsOpened());
        m.put("via", via);
        return m;
    }

    static Map<String, Object> json(Activation a, String via) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("custodian_id", a.getCustodianId());
        m.put("warrant_id", a.getWarrantId());
        m.putAll(json(a));
        m.put("via", via);
        return m;
    }

    /** An activation's state, as warrant show and the consent commands print it. */
    static Map<String, Object> json(Activation a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("custodian_id", a.getCustodianId());
        m.put("state", a.getState().name());
        m.put("expires_at", WarrantView.instant(a.getExpiresAt().getSeconds()));
        m.put("uses_left", Integer.toUnsignedLong(a.getUsesLeft()));
        return m;
    }
}
