package io.escrow.agent;

import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.cms.VerifiedSignature;
import io.escrow.consent.ConsentStatement;
import io.escrow.error.EscrowException;
import io.escrow.error.InvalidArgumentException;
import io.escrow.retirement.ShareStatus;
import io.escrow.threshold.P256;
import io.escrow.threshold.ShareToken;
import io.escrow.warrant.SignedBytes;
import io.escrow.warrant.WarrantPolicy;
import io.escrow.warrant.WarrantSpec;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A custodian agent: the only holder of its custodian's consents, and the only caller of its
 * token. It computes a partial ECDH only when its own checks pass:
 *
 * <ul>
 *   <li>the warrant's signed bytes and approvals verify against the agent's own anchors, CRLs and
 *       policy ({@link VerifiedWarrant}), and the agent has seen no revocation of it;</li>
 *   <li>the custodian consented to exactly those bytes and approvals, with a statement signed by a
 *       certificate that chains to the custodian's own anchor, and that consent is still live;</li>
 *   <li>every record of the page is in the signed scope, is a deposit in the audit log whose leaf
 *       commits to its bytes, and has its release under this warrant, naming this custodian,
 *       already in the log: both proven against a checkpoint signed by the log key the agent
 *       pins ({@link LogEvidence});</li>
 *   <li>the page fits in the consent's uses and the warrant's max_records, both counted here and
 *       written to the journal before any partial leaves.</li>
 * </ul>
 *
 * Every refusal is for the whole page and names its reason.
 */
public final class CustodianAgentCore implements AutoCloseable {
    /** Most records per ComputePartials call: a page of the service's recovery, with room. */
    public static final int MAX_PAGE = 1024;

    private final String custodianId;
    private final ShareToken token;
    private final TrustAnchors authorities;
    private final WarrantPolicy policy;
    private final TrustAnchors custodianAnchor;
    private final LogEvidence log;
    private final java.util.Optional<KeyAttestor.Signer> attestation;
    private final Clock clock;
    private final AgentLedger ledger;
    private final AgentJournal journal;
    private final PageDeriver deriver;
    private final ShareRetirement retirement;
    private final ShareCeremony ceremony;

    public CustodianAgentCore(String custodianId, ShareToken token, TrustAnchors authorities, WarrantPolicy policy,
                              TrustAnchors custodianAnchor, LogEvidence log, java.util.Optional<KeyAttestor.Signer> attestation,
                              Path journalFile, Clock clock) {
        this(custodianId, token, authorities, policy, custodianAnchor, log, attestation, journalFile, clock, 1);
    }

    /** The most token sessions an agent's page uses at once (see {@link PageDeriver}). */
    public static final int MAX_SESSIONS = PageDeriver.MAX_SESSIONS;

    /** @param sessions token sessions a page's ECDHs use at once (1..{@link #MAX_SESSIONS}) */
    public CustodianAgentCore(String custodianId, ShareToken token, TrustAnchors authorities, WarrantPolicy policy,
                              TrustAnchors custodianAnchor, LogEvidence log, java.util.Optional<KeyAttestor.Signer> attestation,
                              Path journalFile, Clock clock, int sessions) {
        if (!token.custodianId().equals(custodianId)) {
            throw new IllegalArgumentException("the token belongs to " + token.custodianId() + ", not " + custodianId);
        }
        if (!custodianAnchor.names().equals(Set.of(custodianId))) {
            throw new IllegalArgumentException("the custodian anchor must be named " + custodianId);
        }
        this.custodianId = custodianId;
        this.token = token;
        this.authorities = authorities;
        this.policy = policy;
        this.custodianAnchor = custodianAnchor;
        this.log = log;
        this.attestation = attestation;
        this.clock = clock;
        this.ledger = new AgentLedger(custodianId);
        this.retirement = new ShareRetirement(custodianId, token, custodianAnchor, attestation, clock, this::record);
        this.ceremony = new ShareCeremony(custodianId, token, custodianAnchor, attestation, clock, this::record);
        this.journal = AgentJournal.open(journalFile, this::apply);
        this.deriver = new PageDeriver(token, sessions);
    }

    public String custodianId() {
        return custodianId;
    }

    public WarrantPolicy policy() {
        return policy;
    }

    /** Accepts the custodian's signed consent to one warrant, after checking all of it. */
    public AgentConsent activate(String warrantId, byte[] signedBytes, SortedMap<String, byte[]> approvals, byte[] statement,
                                 byte[] statementCms) {
        Instant now = clock.instant();
        ConsentStatement consent = ConsentStatement.decode(statement);
        VerifiedSignature signer = CustodianSignature.verify("consent_signature", statementCms, statement, custodianAnchor, custodianId, now);
        if (!consent.custodianId().equals(custodianId)) {
            throw new InvalidArgumentException("consent_statement", "names custodian " + consent.custodianId()
                    + "; this agent serves " + custodianId);
        }
        if (!consent.warrantId().equals(warrantId)) {
            throw new InvalidArgumentException("consent_statement", "names warrant " + consent.warrantId() + ", not " + warrantId);
        }
        VerifiedWarrant w = VerifiedWarrant.verify(warrantId, signedBytes, approvals, authorities, policy, now);
        if (!Arrays.equals(consent.signedBytesSha256(), w.signedBytesSha256())) {
            throw new InvalidArgumentException("consent_statement", "consents to other signed bytes than warrant "
                    + warrantId + "'s");
        }
        if (!Arrays.equals(consent.approvalsSha256(), w.approvalsDigest())) {
            throw new InvalidArgumentException("consent_statement", "consents to other approvals than those given for "
                    + "warrant " + warrantId);
        }
        if (consent.notAfter() <= now.getEpochSecond()) {
            throw new InvalidArgumentException("consent_statement", "has already ended (not_after "
                    + Instant.ofEpochSecond(consent.notAfter()) + ")");
        }
        synchronized (this) {
            requireWarrantActive(warrantId, w, now);
            if (ledger.statementUsed(statement)) {
                throw new AgentRefusedException("this consent statement was already used; sign a new one to activate again");
            }
            AgentLedger.WarrantEntry existing = ledger.find(warrantId);
            if (existing != null && existing.consent != null && existing.state(now) == AgentConsent.State.ACTIVE) {
                throw new AgentRefusedException("custodian " + custodianId + " already has a live consent for warrant "
                        + warrantId + "; deactivate it first");
            }
            record(new AgentJournal.Activated(warrantId, now, signedBytes, w.approvals(), statement));
            return ledger.view(ledger.find(warrantId), now);
        }
    }

    /** The agent's own view of whether a warrant is usable: in its time window, not revoked, not used up. */
    private void requireWarrantActive(String warrantId, VerifiedWarrant w, Instant now) {
        long t = now.getEpochSecond();
        if (t < w.spec().notBefore()) {
            throw new AgentRefusedException("warrant " + warrantId + " is not valid before "
                    + Instant.ofEpochSecond(w.spec().notBefore()));
        }
        if (t >= w.spec().notAfter()) {
            throw new AgentRefusedException("warrant " + warrantId + " expired at " + Instant.ofEpochSecond(w.spec().notAfter()));
        }
        AgentLedger.WarrantEntry known = ledger.find(warrantId);
        if (known != null && known.revoked) {
            throw new AgentRefusedException("warrant " + warrantId + " is revoked");
        }
        if (known != null && known.opened.size() >= w.spec().maxRecords()) {
            throw new AgentRefusedException("warrant " + warrantId + " is exhausted: this agent has worked on all "
                    + w.spec().maxRecords() + " records it allows");
        }
    }

    public synchronized AgentConsent deactivate(String warrantId) {
        Instant now = clock.instant();
        AgentLedger.WarrantEntry w = ledger.find(warrantId);
        if (w == null || w.consent == null || w.state(now) != AgentConsent.State.ACTIVE) {
            throw new AgentNotFoundException("custodian " + custodianId + " has no live consent for warrant " + warrantId);
        }
        record(new AgentJournal.Deactivated(warrantId, now));
        return ledger.view(w, now);
    }

    public synchronized List<AgentConsent> list(String warrantId) {
        return ledger.list(warrantId == null ? "" : warrantId, clock.instant());
    }

    /** Records an authority's revocation after checking it; the agent never works for that warrant again. */
    public synchronized List<AgentConsent> revoke(String warrantId, byte[] cms) {
        Instant now = clock.instant();
        CmsSignatureVerifier.verify(cms, SignedBytes.revocation(warrantId), authorities, Instant.EPOCH, now);
        AgentLedger.WarrantEntry w = ledger.find(warrantId);
        if (w == null || !w.revoked) {
            record(new AgentJournal.Revoked(warrantId, now, cms));
        }
        return ledger.list(warrantId, now);
    }

    /**
     * x(share·enc) for each record, in order, once every check passes; the page's uses and
     * records are journaled (forced to disk) before the token is asked for anything.
     */
    public List<byte[]> computePartials(String warrantId, List<PartialRequest> records, PageEvidence page) {
        if (records.isEmpty() || records.size() > MAX_PAGE) {
            throw new InvalidArgumentException("records", "must hold 1.." + MAX_PAGE + " records, has " + records.size());
        }
        if (page == null) {
            throw new AgentRefusedException("the page comes without a signed checkpoint");
        }
        var head = log.checkpoint(page);
        Instant now = clock.instant();
        WarrantSpec spec;
        synchronized (this) {
            spec = live(warrantId, now).spec;
        }
        // The evidence is checked outside the lock: it depends only on the signed warrant, so
        // pages of several replicas are checked in parallel, and counted one at a time below.
        List<ECPoint> points = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            PartialRequest r = records.get(i);
            String where = "records[" + i + "] (" + r.recordId() + ")";
            if (!spec.covers(r.subjectId(), r.coversFrom(), r.coversUntil())) {
                throw new AgentRefusedException(where + " is outside warrant " + warrantId + "'s signed subjects and covers window");
            }
            log.check(custodianId, warrantId, spec, r, head, page.subjectSalt(), where);
            if (!token.hasShare(r.keyId())) {
                throw new AgentRefusedException(where + ": this agent's token holds no share of key " + r.keyId());
            }
            points.add(P256.decodeUncompressed(where + ".enc", r.enc()));
        }
        synchronized (this) {
            AgentLedger.WarrantEntry w = live(warrantId, now);
            Set<String> fresh = new HashSet<>();
            for (PartialRequest r : records) {
                if (!w.opened.contains(r.recordId())) {
                    fresh.add(r.recordId());
                }
            }
            if (records.size() > w.usesLeft()) {
                throw new AgentRefusedException("the page has " + records.size() + " records but custodian " + custodianId
                        + "'s consent to warrant " + warrantId + " has " + w.usesLeft() + " uses left");
            }
            if (w.opened.size() + fresh.size() > w.spec.maxRecords()) {
                throw new AgentRefusedException("the page would take warrant " + warrantId + " to "
                        + (w.opened.size() + fresh.size()) + " records; it allows " + w.spec.maxRecords());
            }
            record(new AgentJournal.Opened(warrantId, now, records.stream().map(PartialRequest::recordId).toList()));
        }
        return deriver.derive(records.stream().map(PartialRequest::keyId).toList(), points);
    }

    /** Attests the key record, once this agent's token is shown to hold its share ({@link KeyAttestor}). */
    public KeyAttestor.Attestation attestKey(byte[] keyRecordJson) {
        KeyAttestor.Signer signer = attestation.orElseThrow(() -> new AgentRefusedException(
                "this agent has no attestation key (--attest-cert and --attest-key)"));
        return KeyAttestor.attest(custodianId, token, signer, keyRecordJson);
    }

    /** The warrant's entry while its consent is live and the warrant is in its time; refuses otherwise. Under the lock. */
    private AgentLedger.WarrantEntry live(String warrantId, Instant now) {
        AgentLedger.WarrantEntry w = ledger.find(warrantId);
        if (w == null || w.consent == null) {
            throw new AgentRefusedException("custodian " + custodianId + " has not consented to warrant " + warrantId);
        }
        AgentConsent.State state = w.state(now);
        if (state != AgentConsent.State.ACTIVE) {
            throw new AgentRefusedException("custodian " + custodianId + "'s consent to warrant " + warrantId + " is " + state);
        }
        if (now.getEpochSecond() < w.spec.notBefore()) {
            throw new AgentRefusedException("warrant " + warrantId + " is not valid yet");
        }
        return w;
    }

    /** Consents to retire a key, once the custodian's signed statement and the key record check out ({@link ShareRetirement}). */
    public ShareStatus consentRetirement(byte[] keyRecordJson, byte[] statement, byte[] cms) {
        return retirement.consent(keyRecordJson, statement, cms);
    }

    public ShareStatus retirement(String keyId) {
        return retirement.status(io.escrow.threshold.KeyId.require(keyId));
    }

    /** Destroys the token's share of a key its custodian consented to retire, and signs that it is gone. */
    public ShareStatus destroyShare(String keyId) {
        return retirement.destroy(io.escrow.threshold.KeyId.require(keyId));
    }

    /** Accepts the custodian's signed consent to take its share of a new key ({@link ShareCeremony}). */
    public io.escrow.ceremony.CeremonyStatus consentCeremony(byte[] statement, byte[] cms) {
        return ceremony.consent(statement, cms);
    }

    /** The ceremony's state for a key, with the transport key to seal the share to (made on the first ask). */
    public io.escrow.ceremony.CeremonyStatus ceremonyTransportKey(String keyId) {
        return ceremony.transportKey(io.escrow.threshold.KeyId.require(keyId));
    }

    /** Takes this custodian's share of a new key, sealed to the transport key, and attests it. */
    public KeyAttestor.Attestation receiveShare(byte[] keyRecordJson, byte[] enc, byte[] ciphertext) {
        return ceremony.receive(keyRecordJson, enc, ciphertext);
    }

    private synchronized void record(AgentJournal.Entry e) {
        journal.append(e);
        apply(e);
    }

    private void apply(AgentJournal.Entry e) {
        if (e instanceof AgentJournal.WarrantFact w) {
            ledger.apply(w);
        } else if (e instanceof AgentJournal.CeremonyConsented || e instanceof AgentJournal.ShareReceived) {
            ceremony.apply(e);
        } else {
            retirement.apply(e);
        }
    }

    @Override
    public void close() {
        deriver.close();
        journal.close();
    }

    /** No live consent to act on (NOT_FOUND). */
    public static final class AgentNotFoundException extends EscrowException {
        AgentNotFoundException(String message) {
            super(Category.NOT_FOUND, message);
        }
    }
}
