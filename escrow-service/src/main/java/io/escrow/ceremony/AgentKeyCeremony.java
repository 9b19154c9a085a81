package io.escrow.ceremony;

import io.escrow.agent.KeyAttestor;
import io.escrow.audit.AuditWriter;
import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.consent.AgentLink;
import io.escrow.consent.ConsentStatement;
import io.escrow.consent.KeyAttestations;
import io.escrow.error.AccessDeniedException;
import io.escrow.error.EscrowException;
import io.escrow.error.InvalidArgumentException;
import io.escrow.hpke.Hpke;
import io.escrow.keys.KeyRecordJson;
import io.escrow.keys.KeyRegistry;
import io.escrow.threshold.KeyAlreadyExistsException;
import io.escrow.threshold.KeyCeremony;
import io.escrow.threshold.KeyId;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.ThresholdParameters;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A new escrow key's ceremony through the custodians' own agents ({@code escrowctl keys create}),
 * so that the shares reach the tokens through the agents that hold the PINs:
 *
 * <ol>
 *   <li>Every one of the n custodians must have consented at its own agent to exactly this key:
 *       this key_id, t, and the configured custodians in share order ({@link CeremonyStatement}).
 *       Each agent's transport key must be signed under that consent (and by a certificate from
 *       the custodian's CA, where configured). Otherwise nothing is generated: FAILED_PRECONDITION,
 *       audited {@code key_ceremony_refused}.</li>
 *   <li>The key is generated and split here (the contract's "in memory during the ceremony"); each
 *       share is sealed to its agent's transport key and wiped; the agent imports it and attests.</li>
 *   <li>Only when all n attestations verify is {@code key_created} appended and the key recorded;
 *       the agents' attestations then publish it as current. A ceremony that fails after the
 *       dealing is audited {@code key_ceremony_failed}; its key_id is spent, since the shares some
 *       agents took belong to a key that no longer exists anywhere else.</li>
 * </ol>
 */
public final class AgentKeyCeremony {
    public static final String CONSENT = "key_ceremony_consent";
    public static final String REFUSED = "key_ceremony_refused";
    public static final String FAILED = "key_ceremony_failed";
    public static final String CREATED = "key_created";

    private final List<AgentLink> agents;
    private final KeyRegistry keys;
    private final AuditWriter audit;
    private final TrustAnchors custodianAnchors;
    private final int defaultThreshold;
    private final Clock clock;
    private final Consumer<String> log;
    private final SecureRandom rng = new SecureRandom();

    /** @param agents one link per custodian, in share order */
    public AgentKeyCeremony(List<AgentLink> agents, KeyRegistry keys, AuditWriter audit, TrustAnchors custodianAnchors,
                            int defaultThreshold, Clock clock, Consumer<String> log) {
        this.agents = List.copyOf(agents);
        this.keys = keys;
        this.audit = audit;
        this.custodianAnchors = custodianAnchors;
        this.defaultThreshold = defaultThreshold;
        this.clock = clock;
        this.log = log;
    }

    /** The custodians, in share order. */
    public List<String> custodians() {
        return agents.stream().map(AgentLink::custodianId).toList();
    }

    /**
     * Forwards a custodian's signed consent to that custodian's own agent, which checks and keeps
     * it. A custodian gives only its own consent (in development, the all-roles caller may give any).
     */
    public CeremonyStatus consent(String caller, boolean development, String custodianId, String keyIdArg, byte[] statement,
                                  byte[] cms) {
        String keyId = KeyId.require(keyIdArg);
        if (!development && !caller.equals(custodianId)) {
            throw new AccessDeniedException("caller " + caller + " may not consent for custodian " + custodianId);
        }
        AgentLink agent = agents.stream().filter(a -> a.custodianId().equals(custodianId)).findFirst().orElseThrow(() ->
                new InvalidArgumentException("custodian_id", "'" + custodianId + "' is not a custodian with an agent " + custodians()));
        CeremonyStatement terms = CeremonyStatement.decode(statement);
        if (!terms.keyId().equals(keyId) || !terms.custodianId().equals(custodianId)) {
            throw new InvalidArgumentException("statement", "is " + terms + ", not " + custodianId + "'s consent to key " + keyId);
        }
        CeremonyStatus s = agent.consentCeremony(statement, cms);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("custodian_id", custodianId);
        f.put("key_id", keyId);
        f.put("statement", statement);
        audit.append(CONSENT, caller, f);
        return s;
    }

    /**
     * A key the ceremony made: its record and the record's JSON as logged; {@code notRecorded} says
     * why the key directory does not hold it yet (read-only: the operator publishes the JSON).
     */
    public record Created(KeyRecord record, byte[] json, java.util.Optional<String> notRecorded) {
        public Created {
            json = json.clone();
        }

        @Override
        public byte[] json() {
            return json.clone();
        }
    }

    /** Runs the ceremony for {@code keyIdArg} with threshold {@code t} (0: the configured default). */
    public Created create(String keyIdArg, int t, String caller) {
        String keyId = KeyId.require(keyIdArg);
        ThresholdParameters params;
        try {
            params = new ThresholdParameters(t == 0 ? defaultThreshold : t, agents.size());
        } catch (RuntimeException e) {
            throw new InvalidArgumentException("threshold", e.getMessage());
        }
        keys.refresh();
        if (keys.find(keyId).isPresent()) {
            throw new KeyAlreadyExistsException("key " + keyId + " already exists; choose a new key_id");
        }
        List<TransportKeyStatement> transport = preflight(keyId, params, caller);
        List<String> ids = custodians();
        Map<String, KeyAttestor.Attestation> attested = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        KeyRecord record;
        byte[] json;
        try (KeyCeremony.Dealing dealing = new KeyCeremony(rng, clock, log).deal(keyId, params, ids)) {
            record = dealing.record();
            json = KeyRecordJson.write(record);
            for (int i = 0; i < agents.size(); i++) {
                AgentLink agent = agents.get(i);
                try {
                    Hpke.Sealed sealed = CeremonyShares.seal(transport.get(i), json, dealing.shares().get(i).value(), rng);
                    KeyAttestor.Attestation a = agent.receiveShare(json, sealed.enc(), sealed.ciphertext());
                    String problem = KeyAttestations.problem(record, json, a, custodianAnchors, clock.instant());
                    if (problem != null || !a.custodianId().equals(agent.custodianId())) {
                        failures.add(agent.custodianId() + ": its attestation does not vouch for the share: " + problem);
                    } else {
                        attested.put(agent.custodianId(), a);
                        log.accept("key " + keyId + ": " + agent.custodianId() + " took share " + (i + 1) + " and attested it");
                    }
                } catch (RuntimeException e) {
                    failures.add(agent.custodianId() + ": " + e.getMessage());
                }
            }
        }
        if (!failures.isEmpty()) {
            Map<String, Object> f = fields(keyId, params);
            f.put("public_key", record.publicKeyBytes());
            f.put("attested", String.join(",", attested.keySet()));
            f.put("failures", String.join("; ", failures));
            audit.append(FAILED, caller, f);
            throw new CeremonyIncompleteException(keyId, attested.keySet(), failures);
        }
        Map<String, Object> f = fields(keyId, params);
        f.put("public_key", record.publicKeyBytes());
        f.put("record_sha256", ConsentStatement.sha256(json));
        f.put("key_record", json);
        attested.forEach((id, a) -> f.put("attestation." + id + ".statement_sha256", ConsentStatement.sha256(a.statement())));
        audit.append(CREATED, caller, f);
        try {
            keys.add(record);
        } catch (java.io.UncheckedIOException e) {
            log.accept("key " + keyId + " was created but its record could not be written (" + e.getMessage()
                    + "); publish the record from the key_created leaf or the operator's output");
            return new Created(record, json, java.util.Optional.of(e.getMessage()));
        }
        log.accept("key " + keyId + " created through the custodians' agents and recorded");
        return new Created(record, json, java.util.Optional.empty());
    }

    /** Each agent's transport key, in share order, once every custodian's consent and key check out. */
    private List<TransportKeyStatement> preflight(String keyId, ThresholdParameters params, String caller) {
        List<TransportKeyStatement> out = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (AgentLink agent : agents) {
            String id = agent.custodianId();
            CeremonyStatus s;
            try {
                s = agent.ceremony(keyId);
            } catch (EscrowException e) {
                problems.add(id + ": " + e.getMessage());
                continue;
            }
            CeremonyStatement terms = new CeremonyStatement(id, keyId, params.threshold(), custodians());
            String problem = problem(id, terms, s);
            if (problem != null) {
                problems.add(id + ": " + problem);
            } else {
                out.add(TransportKeyStatement.decode(s.transportKey().orElseThrow().statement()));
            }
        }
        if (!problems.isEmpty()) {
            Map<String, Object> f = fields(keyId, params);
            f.put("reason", String.join("; ", problems));
            audit.append(REFUSED, caller, f);
            throw new CeremonyRefusedException("key " + keyId + " needs the signed consent of every custodian at its own agent to "
                    + params.threshold() + " of " + custodians() + " (escrowctl custodian ceremony-consent): "
                    + String.join("; ", problems));
        }
        return out;
    }

    /** Why this agent's answer does not let its share be dealt, or null. */
    private String problem(String custodianId, CeremonyStatement terms, CeremonyStatus s) {
        if (s.consent().isEmpty()) {
            return "has not consented";
        }
        CeremonyStatement given = CeremonyStatement.decode(s.consent().get().statement());
        if (!given.equals(terms)) {
            return "consented to other terms (" + given + ")";
        }
        if (s.shareReceived()) {
            return "already took a share of this key_id in an earlier ceremony; choose a new key_id";
        }
        if (s.transportKey().isEmpty()) {
            return "its agent offers no transport key";
        }
        CeremonyStatus.SignedStatement signed = s.transportKey().get();
        TransportKeyStatement t = TransportKeyStatement.decode(signed.statement());
        if (!t.isUnder(given)) {
            return "its transport key is not signed under its consent";
        }
        if (custodianAnchors.names().contains(custodianId)) {
            try {
                CmsSignatureVerifier.verify(signed.cms(), signed.statement(), custodianAnchors.only(custodianId),
                        java.time.Instant.EPOCH, clock.instant());
            } catch (RuntimeException e) {
                return "its transport key's signature does not verify: " + e.getMessage();
            }
        }
        return null;
    }

    private static Map<String, Object> fields(String keyId, ThresholdParameters params) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("key_id", keyId);
        f.put("threshold", Integer.toString(params.threshold()));
        f.put("custodians", Integer.toString(params.custodians()));
        return f;
    }

    /** The refusal when custodians have no agents: then the configured tokens' ceremony (escrowctl ceremony) applies. */
    public static CeremonyRefusedException withoutAgents() {
        return new CeremonyRefusedException("a ceremony through the custodians' agents needs agents (escrow.custodians.<id>.agent, "
                + "or the embedded default's); this service's custodians have none: use escrowctl ceremony");
    }

    /** FAILED_PRECONDITION: a custodian has not consented to these terms, or its agent's transport key does not check out. */
    public static final class CeremonyRefusedException extends EscrowException {
        CeremonyRefusedException(String message) {
            super(Category.FAILED_PRECONDITION, message);
        }
    }

    /** UNAVAILABLE: an agent did not take or attest its share; the key was not recorded. */
    public static final class CeremonyIncompleteException extends EscrowException {
        CeremonyIncompleteException(String keyId, java.util.Collection<String> attested, List<String> failures) {
            super(Category.UNAVAILABLE, "key " + keyId + " was not created: " + String.join("; ", failures) + " (attested: " + attested
                    + "). Its key_id is spent: have the custodians consent to a new key_id and run the ceremony again");
        }
    }
}
