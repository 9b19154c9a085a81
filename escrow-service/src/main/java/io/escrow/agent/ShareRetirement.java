package io.escrow.agent;

import io.escrow.cms.CmsSigner;
import io.escrow.cms.TrustAnchors;
import io.escrow.error.InvalidArgumentException;
import io.escrow.keys.KeyRecordJson;
import io.escrow.retirement.RetirementStatement;
import io.escrow.retirement.ShareDestroyedStatement;
import io.escrow.retirement.ShareStatus;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.ShareToken;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A custodian agent's part in retiring a key. It keeps its custodian's signed consent
 * ({@link RetirementStatement}, checked against the custodian's own anchor and the key record),
 * and only on that consent destroys the token's share of the key: C_DestroyObject, then a fresh
 * read of the token's object list to see that it is gone, then an {@link ShareDestroyedStatement}
 * signed with the agent's attestation key. Both facts are journaled before the agent answers.
 * Asked again, it answers from the journal, so a retirement interrupted anywhere can be re-run.
 */
final class ShareRetirement {
    private record State(RetirementStatement consent, byte[] consentBytes, Instant consentedAt, ShareStatus.Destruction destroyed) {}

    private final String custodianId;
    private final ShareToken token;
    private final TrustAnchors custodianAnchor;
    private final Optional<KeyAttestor.Signer> signer;
    private final Clock clock;
    private final Consumer<AgentJournal.Entry> record;
    private final Map<String, State> byKey = new HashMap<>();

    /** @param record journals an entry (forced to disk) and applies it here */
    ShareRetirement(String custodianId, ShareToken token, TrustAnchors custodianAnchor, Optional<KeyAttestor.Signer> signer,
                    Clock clock, Consumer<AgentJournal.Entry> record) {
        this.custodianId = custodianId;
        this.token = token;
        this.custodianAnchor = custodianAnchor;
        this.signer = signer;
        this.clock = clock;
        this.record = record;
    }

    /** Applies a journaled retirement fact (on replay, and after each append). */
    synchronized void apply(AgentJournal.Entry e) {
        if (e instanceof AgentJournal.RetirementConsented c) {
            byKey.put(c.keyId(), new State(RetirementStatement.decode(c.statement()), c.statement(), c.at(), null));
        } else if (e instanceof AgentJournal.ShareDestroyed d) {
            State s = byKey.get(d.keyId());
            if (s == null) {
                throw new IllegalStateException("a share of " + d.keyId() + " destroyed with no consent journaled before it");
            }
            byKey.put(d.keyId(), new State(s.consent, s.consentBytes, s.consentedAt, new ShareStatus.Destruction(d.statement(), d.cms())));
        }
    }

    /** Accepts the custodian's signed consent to retire the key of {@code keyRecordJson}. */
    synchronized ShareStatus consent(byte[] keyRecordJson, byte[] statement, byte[] cms) {
        Instant now = clock.instant();
        RetirementStatement s = RetirementStatement.decode(statement);
        CustodianSignature.verify("signature", cms, statement, custodianAnchor, custodianId, now);
        if (!s.custodianId().equals(custodianId)) {
            throw new InvalidArgumentException("statement", "names custodian " + s.custodianId() + "; this agent serves " + custodianId);
        }
        KeyRecord key;
        try {
            key = KeyRecordJson.read(keyRecordJson);
        } catch (java.io.IOException | RuntimeException e) {
            throw new InvalidArgumentException("key_record", "is not a valid key record: " + e.getMessage());
        }
        if (!s.names(key)) {
            throw new InvalidArgumentException("statement", "names key " + s.keyId() + " with another id or public key than the key record");
        }
        if (key.shareOf(custodianId).isEmpty()) {
            throw new AgentRefusedException("key " + key.keyId() + " has no share of " + custodianId);
        }
        if (!byKey.containsKey(s.keyId())) {
            record.accept(new AgentJournal.RetirementConsented(s.keyId(), now, statement, cms));
        }
        return status(s.keyId());
    }

    synchronized ShareStatus status(String keyId) {
        State s = byKey.get(keyId);
        return new ShareStatus(custodianId, keyId, Optional.ofNullable(s).map(State::consentedAt),
                Optional.ofNullable(s).map(State::destroyed));
    }

    /** Destroys the share, on the custodian's journaled consent, and signs that it is gone. */
    synchronized ShareStatus destroy(String keyId) {
        State s = byKey.get(keyId);
        if (s == null) {
            throw new AgentRefusedException("custodian " + custodianId + " has not consented to retire key " + keyId
                    + "; nothing is destroyed without that consent");
        }
        if (s.destroyed != null) {
            return status(keyId);
        }
        KeyAttestor.Signer key = signer.orElseThrow(() -> new AgentRefusedException(
                "this agent has no attestation key (--attest-cert and --attest-key) to sign that the share is destroyed"));
        if (token.hasShare(keyId)) {
            token.deleteShare(keyId);
        }
        // hasShare reads the token's object list again: the share must be gone from the token, not only from a cache.
        if (token.hasShare(keyId)) {
            throw new AgentRefusedException("the token still lists a share of key " + keyId + " after it was destroyed");
        }
        byte[] statement = ShareDestroyedStatement.of(s.consent, s.consentBytes, clock.instant()).encode();
        byte[] cms = CmsSigner.signDetached(statement, key.key(), null, key.chain());
        record.accept(new AgentJournal.ShareDestroyed(keyId, clock.instant(), statement, cms));
        return status(keyId);
    }
}
