package io.escrow.retirement;

import io.escrow.audit.AuditEntry;
import io.escrow.audit.AuditWriter;
import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.consent.AgentLink;
import io.escrow.error.EscrowException;
import io.escrow.keys.KeyRegistry;
import io.escrow.keys.RetiredKeys;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.KeyId;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Retires an escrow key (crypto-shredding), as {@code escrowctl keys retire} asks:
 *
 * <ol>
 *   <li>The key may not be the one served to providers: rotate first.</li>
 *   <li>Enough custodians must have consented, each at their own agent, with a signed
 *       {@link RetirementStatement}: at least t, and at least n − t + 1, so that once their shares
 *       are destroyed fewer than t can survive anywhere and no coalition, all custodians
 *       included, can open anything sealed to the key. Otherwise: FAILED_PRECONDITION, audited
 *       {@code key_retirement_refused}.</li>
 *   <li>Each consenting agent destroys its share and signs a {@link ShareDestroyedStatement}.
 *       The statements are checked (and their signatures too, when custodian anchors are
 *       configured). Fewer than n − t + 1 destroyed: UNAVAILABLE, audited
 *       {@code key_retirement_incomplete}; re-running resumes, since agents answer from their
 *       journals.</li>
 *   <li>One transaction records the key as retired and appends {@code key_retired}, carrying
 *       every destruction statement and the count of deposits it ends; from then on no deposit
 *       under the key is stored.</li>
 *   <li>The key's deposit partition is dropped.</li>
 * </ol>
 */
public final class KeyRetirement {
    public static final String RETIRED = "key_retired";
    public static final String REFUSED = "key_retirement_refused";
    public static final String INCOMPLETE = "key_retirement_incomplete";

    /** What a retirement did (or, re-run on a retired key, what it had done). */
    public record Outcome(RetiredKeys.Retirement retirement, List<String> consented, Map<String, ShareStatus.Destruction> destroyed,
                          long depositsDropped) {}

    private final Map<String, AgentLink> agents = new LinkedHashMap<>();
    private final KeyRegistry keys;
    private final Supplier<Optional<KeyRecord>> current;
    private final RetiredKeys retired;
    private final RetirementStore store;
    private final AuditWriter audit;
    private final TrustAnchors custodianAnchors;
    private final Clock clock;

    public KeyRetirement(List<AgentLink> agents, KeyRegistry keys, Supplier<Optional<KeyRecord>> current, RetiredKeys retired,
                         io.escrow.storage.Database db, AuditWriter audit, TrustAnchors custodianAnchors, Clock clock,
                         Consumer<String> log) {
        agents.forEach(a -> this.agents.put(a.custodianId(), a));
        this.keys = keys;
        this.current = current;
        this.retired = retired;
        this.store = new RetirementStore(db, log);
        this.audit = audit;
        this.custodianAnchors = custodianAnchors;
        this.clock = clock;
    }

    /**
     * Forwards a custodian's signed consent to retire a key to that custodian's own agent, which
     * checks it against the key record and keeps it. A custodian gives only its own consent
     * (in development, the all-roles caller may give any).
     */
    public ShareStatus consent(String caller, boolean development, String custodianId, String keyIdArg, byte[] statement, byte[] cms) {
        String keyId = KeyId.require(keyIdArg);
        if (!development && !caller.equals(custodianId)) {
            throw new io.escrow.error.AccessDeniedException("caller " + caller + " may not consent for custodian " + custodianId);
        }
        KeyRecord key = keys.require(keyId);
        AgentLink agent = agents.get(custodianId);
        if (agent == null || key.shareOf(custodianId).isEmpty()) {
            throw new io.escrow.error.InvalidArgumentException("custodian_id", "'" + custodianId + "' holds no share of key " + keyId
                    + " through a configured agent " + agents.keySet());
        }
        ShareStatus s = agent.consentRetirement(io.escrow.keys.KeyRecordJson.write(key), statement, cms);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("custodian_id", custodianId);
        f.put("key_id", keyId);
        f.put("statement", statement);
        audit.append("key_retirement_consent", caller, f);
        return s;
    }

    /** Custodians whose consent a key's retirement needs: enough that fewer than t shares could survive, and at least t. */
    public static int consentsNeeded(KeyRecord key) {
        int n = key.parameters().custodians();
        int t = key.threshold();
        return Math.max(t, n - t + 1);
    }

    public Outcome retire(String keyIdArg, String caller) {
        String keyId = KeyId.require(keyIdArg);
        KeyRecord key = keys.require(keyId);
        Optional<RetiredKeys.Retirement> done = retired.all().stream().filter(r -> r.keyId().equals(keyId)).findFirst();
        if (done.isPresent()) {
            store.dropDeposits(keyId);
            return new Outcome(done.get(), List.of(), Map.of(), 0);
        }
        if (current.get().map(KeyRecord::keyId).filter(keyId::equals).isPresent()) {
            throw refuse(caller, key, List.of(), "is the current key, which providers seal to: run a rotation ceremony first");
        }
        List<String> shareholders = key.shares().stream().map(s -> s.custodianId()).toList();
        Map<String, ShareStatus> status = new LinkedHashMap<>();
        List<String> unreachable = new ArrayList<>();
        for (String id : shareholders) {
            AgentLink agent = agents.get(id);
            if (agent == null) {
                unreachable.add(id + " (no agent configured)");
                continue;
            }
            try {
                status.put(id, agent.retirement(keyId));
            } catch (EscrowException e) {
                unreachable.add(id + " (" + e.getMessage() + ")");
            }
        }
        List<String> consented = status.values().stream().filter(ShareStatus::consented).map(ShareStatus::custodianId).toList();
        int needed = consentsNeeded(key);
        if (consented.size() < needed) {
            List<String> lacking = shareholders.stream().filter(id -> !consented.contains(id)).toList();
            throw refuse(caller, key, consented, "needs the signed consent of " + needed + " of its " + shareholders.size()
                    + " custodians at their own agents (escrowctl custodian retire), so that fewer than " + key.threshold()
                    + " shares could survive; consented: " + consented + ", not consented: " + lacking
                    + (unreachable.isEmpty() ? "" : "; not answering: " + unreachable));
        }
        Map<String, ShareStatus.Destruction> destroyed = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        for (String id : consented) {
            try {
                ShareStatus s = agents.get(id).destroyShare(keyId);
                ShareStatus.Destruction d = s.destroyed().orElseThrow(() -> new IllegalStateException("answered without a statement"));
                String problem = problem(key, id, d);
                if (problem != null) {
                    failures.add(id + ": " + problem);
                } else {
                    destroyed.put(id, d);
                }
            } catch (RuntimeException e) {
                failures.add(id + ": " + e.getMessage());
            }
        }
        int mustGo = key.parameters().custodians() - key.threshold() + 1;
        if (destroyed.size() < mustGo) {
            Map<String, Object> f = fields(key, consented);
            f.put("destroyed", String.join(",", destroyed.keySet()));
            f.put("failures", String.join("; ", failures));
            audit.append(INCOMPLETE, caller, f);
            throw new RetirementIncompleteException(keyId, destroyed.keySet(), mustGo, failures);
        }
        Instant now = clock.instant();
        RetirementStore.Recorded recorded = store.record(keyId, now, deposits -> {
            Map<String, Object> f = fields(key, consented);
            destroyed.forEach((id, d) -> {
                f.put("destroyed." + id + ".statement", d.statement());
                f.put("destroyed." + id + ".cms", d.cms());
            });
            f.put("deposits", Long.toString(deposits));
            return AuditEntry.of(RETIRED, now, caller, f);
        });
        retired.refresh();
        store.dropDeposits(keyId);
        return new Outcome(recorded.retirement(), consented, destroyed, recorded.deposits());
    }

    /** Why a destruction statement does not vouch for this key's share, or null when it does. */
    private String problem(KeyRecord key, String custodianId, ShareStatus.Destruction d) {
        ShareDestroyedStatement s;
        try {
            s = ShareDestroyedStatement.decode(d.statement());
        } catch (RuntimeException e) {
            return "its statement is malformed: " + e.getMessage();
        }
        if (!s.custodianId().equals(custodianId) || !s.keyId().equals(key.keyId())
                || !java.util.Arrays.equals(s.publicKey(), key.publicKeyBytes())) {
            return "its statement names " + s.custodianId() + " and key " + s.keyId() + ", not this custodian and key";
        }
        if (custodianAnchors.names().contains(custodianId)) {
            try {
                CmsSignatureVerifier.verify(d.cms(), d.statement(), custodianAnchors.only(custodianId), key.createdAt(), clock.instant());
            } catch (RuntimeException e) {
                return "its signature does not verify: " + e.getMessage();
            }
        }
        return null;
    }

    private RetirementRefusedException refuse(String caller, KeyRecord key, List<String> consented, String why) {
        Map<String, Object> f = fields(key, consented);
        f.put("reason", why);
        audit.append(REFUSED, caller, f);
        return new RetirementRefusedException("key " + key.keyId() + " " + why);
    }

    private static Map<String, Object> fields(KeyRecord key, List<String> consented) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("key_id", key.keyId());
        f.put("public_key", key.publicKeyBytes());
        f.put("consented", String.join(",", consented));
        return f;
    }

    /** The refusal when custodians have no agents: a share is destroyed only by its custodian's own agent. */
    public static RetirementRefusedException withoutAgents() {
        return new RetirementRefusedException("key retirement goes through the custodians' own agents "
                + "(escrow.custodians.<id>.agent, or the embedded default's); this service's custodians have none");
    }

    /** FAILED_PRECONDITION: the key is current, or too few custodians consented. */
    public static final class RetirementRefusedException extends EscrowException {
        RetirementRefusedException(String message) {
            super(Category.FAILED_PRECONDITION, message);
        }
    }

    /** UNAVAILABLE: too few agents destroyed their shares; those that did stay destroyed, and a re-run resumes. */
    public static final class RetirementIncompleteException extends EscrowException {
        RetirementIncompleteException(String keyId, java.util.Collection<String> destroyed, int needed, List<String> failures) {
            super(Category.UNAVAILABLE, "key " + keyId + " is not retired: " + destroyed.size() + " agents destroyed their shares "
                    + destroyed + ", " + needed + " must; " + String.join("; ", failures)
                    + ". Shares already destroyed stay destroyed; run the retirement again once the agents answer");
        }
    }
}
