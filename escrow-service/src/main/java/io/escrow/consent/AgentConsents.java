package io.escrow.consent;

import io.escrow.agent.AgentConsent;
import io.escrow.agent.PartialRequest;
import io.escrow.audit.AuditWriter;
import io.escrow.error.AccessDeniedException;
import io.escrow.error.EscrowException;
import io.escrow.error.InvalidArgumentException;
import io.escrow.keys.KeyRegistry;
import io.escrow.recovery.CustodianAccess;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.ShareToken;
import io.escrow.warrant.WarrantEvidence;
import io.escrow.warrant.WarrantService;
import io.escrow.warrant.WarrantState;
import io.escrow.warrant.WarrantStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Custodians whose consents live in their own agents. The service holds no PIN and no consent
 * of its own: it forwards each custodian's signed consent, with the warrant's re-verified
 * evidence, to that custodian's agent, asks agents what they hold, and asks t of them for each
 * recovery page's partials in one request each. Any replica can do all of this, since the agents
 * are the only holders of the truth. Every forwarded action is audited here as well.
 */
public final class AgentConsents implements CustodianAccess, AutoCloseable {
    private final Map<String, AgentLink> links = new LinkedHashMap<>();
    private final WarrantService warrants;
    private final KeyRegistry keys;
    private final AuditWriter audit;
    private final Consumer<String> warn;
    private final ExecutorService calls = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "custodian-agent-call");
        t.setDaemon(true);
        return t;
    });

    public AgentConsents(List<AgentLink> links, WarrantService warrants, KeyRegistry keys, AuditWriter audit, Consumer<String> warn) {
        links.forEach(l -> this.links.put(l.custodianId(), l));
        this.warrants = warrants;
        this.keys = keys;
        this.audit = audit;
        this.warn = warn;
    }

    /** A custodian's consent as it arrives at the service: no credential may come with it. */
    public record Request(String custodianId, String warrantId, byte[] statement, byte[] statementSignature,
                          int credentialBytes, long maxUses) {}

    public boolean serves(String custodianId) {
        return links.containsKey(custodianId);
    }

    public Activation activate(String caller, boolean development, Request r) {
        try {
            AgentLink link = link(r.custodianId());
            authorize(caller, development, r.custodianId(), "activate");
            if (r.credentialBytes() != 0) {
                throw new InvalidArgumentException("credential", "must be empty: " + r.custodianId() + " is agent-backed, "
                        + "and its PIN never leaves its agent (" + link.target() + ")");
            }
            if (r.statement() == null || r.statement().length == 0) {
                throw new InvalidArgumentException("consent_statement", "is required for agent-backed custodian "
                        + r.custodianId() + " (an escrow/v1/consent statement, signed in cms_signature)");
            }
            ConsentStatement statement = ConsentStatement.decode(r.statement());
            if (r.maxUses() != 0 && r.maxUses() != statement.maxUses()) {
                throw new InvalidArgumentException("max_uses", "is " + r.maxUses() + " but the signed statement says "
                        + statement.maxUses());
            }
            var w = warrants.get(r.warrantId());
            if (warrants.state(w) != WarrantState.ACTIVE) {
                throw new ActivationRejectedException(EscrowException.Category.FAILED_PRECONDITION,
                        "cannot activate: " + w.whyNotActive(warrants.now(), warrants.policy()));
            }
            WarrantEvidence.Stored evidence = warrants.intactEvidence(caller, r.warrantId());
            AgentConsent c = link.activate(r.warrantId(), evidence.warrant().signedBytes(), approvals(evidence),
                    r.statement(), r.statementSignature());
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("custodian_id", r.custodianId());
            f.put("warrant_id", r.warrantId());
            f.put("agent", link.target());
            f.put("consent_sha256", ConsentStatement.sha256(r.statement()));
            f.put("cms_sha256", ConsentStatement.sha256(r.statementSignature()));
            f.put("expires_at", c.expiresAt().getEpochSecond());
            f.put("max_uses", statement.maxUses());
            audit.append("activation_granted", caller, f);
            return view(c);
        } catch (EscrowException e) {
            throw ActivationRejections.audited(audit, caller, r.custodianId(), r.warrantId(), e);
        }
    }

    private static SortedMap<String, byte[]> approvals(WarrantEvidence.Stored evidence) {
        SortedMap<String, byte[]> out = new TreeMap<>();
        for (WarrantStore.StoredApproval a : evidence.approvals()) {
            out.put(a.authority(), a.cms());
        }
        return out;
    }

    public Activation deactivate(String caller, boolean development, String custodianId, String warrantId) {
        AgentLink link = link(custodianId);
        authorize(caller, development, custodianId, "deactivate");
        AgentConsent c = link.deactivate(warrantId);
        audit.append("activation_deactivated", caller, Map.of("custodian_id", custodianId, "warrant_id", warrantId,
                "uses_left", c.usesLeft(), "agent", link.target()));
        return view(c);
    }

    /** What every reachable agent holds for the warrant; an unreachable agent is logged and left out. */
    public List<Activation> list(String warrantId) {
        List<Activation> out = new ArrayList<>();
        for (var e : askAll(l -> l.list(warrantId)).entrySet()) {
            e.getValue().forEach(c -> out.add(view(c)));
        }
        return out;
    }

    /**
     * Per custodian, whether its agent answers as that custodian: "UP", or "DOWN: why". For
     * readiness; an agent that answers for another custodian is DOWN (a misrouted address).
     */
    public Map<String, String> reachability() {
        Map<String, String> answers = askAll(AgentLink::describe);
        Map<String, String> out = new LinkedHashMap<>();
        links.forEach((id, l) -> {
            String who = answers.get(id);
            out.put(id, who == null ? "DOWN: agent unreachable at " + l.target()
                    : who.equals(id) ? "UP: agent at " + l.target() : "DOWN: the agent at " + l.target() + " serves " + who);
        });
        return out;
    }

    /** Every agent's attestation of a key record that answered (the others are logged and left out). */
    public List<io.escrow.agent.KeyAttestor.Attestation> attestations(byte[] keyRecordJson) {
        return new ArrayList<>(askAll(l -> l.attestKey(keyRecordJson)).values());
    }

    /** Forwards a revocation to every agent, which checks it itself; an agent that is down learns it later. */
    public void revoked(String warrantId, byte[] cms) {
        askAll(l -> l.revoke(warrantId, cms));
    }

    /** Asks every agent at once; answers by custodian, in configuration order, without the ones that failed. */
    private <T> Map<String, T> askAll(java.util.function.Function<AgentLink, T> call) {
        Map<String, CompletableFuture<T>> pending = new LinkedHashMap<>();
        links.forEach((id, l) -> pending.put(id, CompletableFuture.supplyAsync(() -> call.apply(l), calls)));
        Map<String, T> out = new LinkedHashMap<>();
        pending.forEach((id, f) -> {
            try {
                out.put(id, f.join());
            } catch (RuntimeException e) {
                warn.accept((e.getCause() != null ? e.getCause() : e).getMessage());
            }
        });
        return out;
    }

    @Override
    public Reservation reserve(String warrantId, int threshold, int records) {
        LinkedHashMap<String, Integer> live = new LinkedHashMap<>();
        Map<String, List<AgentConsent>> answers = askAll(l -> l.list(warrantId));
        answers.forEach((id, list) -> list.stream().filter(c -> c.state() == AgentConsent.State.ACTIVE && c.usesLeft() > 0)
                .findFirst().ifPresent(c -> live.put(id, c.usesLeft())));
        if (live.size() < threshold && answers.size() < links.size()) {
            // Not a lack of consent: agents that may hold one did not answer.
            List<String> silent = links.keySet().stream().filter(id -> !answers.containsKey(id)).toList();
            throw new AgentCallException(String.join(", ", silent), EscrowException.Category.UNAVAILABLE,
                    "unreachable, and the agents that answered hold fewer than " + threshold + " live consents");
        }
        return Reservation.choose(live, threshold, records, id -> new AgentShareToken(links.get(id)));
    }

    @Override
    public void prepare(Reservation reserved, String warrantId, List<PartialRequest> records, io.escrow.agent.PageEvidence page) {
        if (records.isEmpty()) {
            return;
        }
        if (page == null) {
            throw new IllegalStateException("agents are asked for partials only with the page's log evidence");
        }
        List<CompletableFuture<Void>> asks = new ArrayList<>();
        for (ShareToken t : reserved.tokens()) {
            if (t instanceof AgentShareToken a) {
                asks.add(CompletableFuture.runAsync(() -> a.prepare(warrantId, records, page), calls));
            }
        }
        asks.forEach(CompletableFuture::join);
    }

    @Override
    public boolean prepareAhead() {
        return true;
    }

    @Override
    public boolean needsLogEvidence() {
        return true;
    }

    @Override
    public void used(String warrantId, List<String> custodianIds) {
        // Agents count their own partials; the service's count would be only a copy.
    }

    @Override
    public List<String> missing(String warrantId) {
        int t = keys.current().map(KeyRecord::threshold).orElse(links.size());
        Map<String, List<AgentConsent>> answers = askAll(l -> l.list(warrantId));
        List<String> have = new ArrayList<>();
        List<String> lack = new ArrayList<>();
        for (String id : links.keySet()) {
            List<AgentConsent> a = answers.get(id);
            if (a == null) {
                lack.add(id + " (agent unreachable)");
            } else if (a.stream().anyMatch(c -> c.state() == AgentConsent.State.ACTIVE && c.usesLeft() > 0)) {
                have.add(id);
            } else {
                lack.add(id);
            }
        }
        return have.size() >= t ? List.of() : lack;
    }

    private AgentLink link(String custodianId) {
        AgentLink l = links.get(custodianId);
        if (l == null) {
            throw new InvalidArgumentException("custodian_id", "'" + custodianId + "' is not a configured custodian "
                    + links.keySet());
        }
        return l;
    }

    private static void authorize(String caller, boolean development, String custodianId, String action) {
        if (!development && !caller.equals(custodianId)) {
            throw new AccessDeniedException("caller " + caller + " may not " + action + " the share of " + custodianId);
        }
    }

    private static Activation view(AgentConsent c) {
        return new Activation(c.custodianId(), c.warrantId(), Activation.State.valueOf(c.state().name()), c.expiresAt(),
                c.usesLeft());
    }

    @Override
    public void close() {
        calls.shutdownNow();
        links.values().forEach(AgentLink::close);
    }
}
