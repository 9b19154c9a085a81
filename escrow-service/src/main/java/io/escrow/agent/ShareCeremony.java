package io.escrow.agent;

import io.escrow.ceremony.CeremonyShares;
import io.escrow.ceremony.CeremonyStatement;
import io.escrow.ceremony.CeremonyStatus;
import io.escrow.ceremony.TransportKeyStatement;
import io.escrow.cms.CmsSigner;
import io.escrow.cms.TrustAnchors;
import io.escrow.consent.ConsentStatement;
import io.escrow.error.InvalidArgumentException;
import io.escrow.hpke.Hpke;
import io.escrow.keys.KeyRecordJson;
import io.escrow.threshold.CustodianShare;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.P256;
import io.escrow.threshold.SecretScalar;
import io.escrow.threshold.ShareToken;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A custodian agent's part in a new key's ceremony, so that the share reaches the token through
 * the agent that holds its PIN, and no one else holds all the PINs:
 *
 * <ol>
 *   <li>It keeps its custodian's signed consent ({@link CeremonyStatement}: this key_id, t of
 *       these n custodians, in this order), checked against the custodian's own anchor.</li>
 *   <li>On that consent it makes a transport key, held in memory only, and signs a
 *       {@link TransportKeyStatement} for it with its attestation key.</li>
 *   <li>It takes a sealed share only for a key record with the consented terms, opens it with
 *       the transport key, checks that share·G is the record's public share for this custodian
 *       (the record itself checks every public share against the Feldman commitments), imports
 *       it into the token, and answers with a signed {@link KeyAttestor key attestation}, which
 *       also checks that the token computes with that share.</li>
 * </ol>
 *
 * Consents and received shares are journaled before the agent answers. Asked again for the same
 * record, it attests again; a share for any other record of that key_id is refused.
 */
final class ShareCeremony {
    private record State(CeremonyStatement consent, byte[] consentBytes, Instant consentedAt, byte[] receivedRecordSha256) {}

    private final String custodianId;
    private final ShareToken token;
    private final TrustAnchors custodianAnchor;
    private final Optional<KeyAttestor.Signer> signer;
    private final Clock clock;
    private final Consumer<AgentJournal.Entry> record;
    private final SecureRandom rng = new SecureRandom();
    private final Map<String, State> byKey = new HashMap<>();
    /** Transport keys, never written anywhere: after a restart the ceremony asks for a new one. */
    private final Map<String, Hpke.KeyPair> transport = new HashMap<>();
    private final Map<String, CeremonyStatus.SignedStatement> transportStatements = new HashMap<>();

    /** @param record journals an entry (forced to disk) and applies it here */
    ShareCeremony(String custodianId, ShareToken token, TrustAnchors custodianAnchor, Optional<KeyAttestor.Signer> signer, Clock clock,
                  Consumer<AgentJournal.Entry> record) {
        this.custodianId = custodianId;
        this.token = token;
        this.custodianAnchor = custodianAnchor;
        this.signer = signer;
        this.clock = clock;
        this.record = record;
    }

    /** Applies a journaled ceremony fact (on replay, and after each append). */
    synchronized void apply(AgentJournal.Entry e) {
        if (e instanceof AgentJournal.CeremonyConsented c) {
            byKey.put(c.keyId(), new State(CeremonyStatement.decode(c.statement()), c.statement(), c.at(), null));
        } else if (e instanceof AgentJournal.ShareReceived r) {
            State s = byKey.get(r.keyId());
            if (s == null) {
                throw new IllegalStateException("a share of " + r.keyId() + " received with no consent journaled before it");
            }
            byKey.put(r.keyId(), new State(s.consent, s.consentBytes, s.consentedAt, r.recordSha256()));
        }
    }

    /** Accepts the custodian's signed consent to take its share of a new key. */
    synchronized CeremonyStatus consent(byte[] statement, byte[] cms) {
        CeremonyStatement s = CeremonyStatement.decode(statement);
        CustodianSignature.verify("signature", cms, statement, custodianAnchor, custodianId, clock.instant());
        if (!s.custodianId().equals(custodianId)) {
            throw new InvalidArgumentException("statement", "names custodian " + s.custodianId() + "; this agent serves " + custodianId);
        }
        State existing = byKey.get(s.keyId());
        if (existing != null && !Arrays.equals(existing.consentBytes, statement)) {
            throw new AgentRefusedException("custodian " + custodianId + " already consented to the ceremony of key " + s.keyId()
                    + " on other terms (" + existing.consent + "); a key_id is made once, so choose a new one");
        }
        if (existing == null) {
            if (token.hasShare(s.keyId())) {
                throw new AgentRefusedException("this agent's token already holds a share of key " + s.keyId());
            }
            record.accept(new AgentJournal.CeremonyConsented(s.keyId(), clock.instant(), statement, cms));
        }
        return status(s.keyId());
    }

    synchronized CeremonyStatus status(String keyId) {
        State s = byKey.get(keyId);
        return new CeremonyStatus(custodianId, keyId,
                Optional.ofNullable(s).map(x -> new CeremonyStatus.Consent(x.consentedAt, x.consentBytes)),
                Optional.ofNullable(transportStatements.get(keyId)), s != null && s.receivedRecordSha256 != null);
    }

    /** The transport key to seal this custodian's share of {@code keyId} to, made now if this agent holds none. */
    synchronized CeremonyStatus transportKey(String keyId) {
        State s = byKey.get(keyId);
        if (s == null) {
            throw new AgentRefusedException("custodian " + custodianId + " has not consented to the ceremony of key " + keyId
                    + " (escrowctl custodian ceremony-consent); no share is taken without that consent");
        }
        if (s.receivedRecordSha256 == null && !transport.containsKey(keyId)) {
            KeyAttestor.Signer key = requireSigner();
            Hpke.KeyPair pair = Hpke.generateKeyPair(rng);
            byte[] statement = TransportKeyStatement.of(s.consent, pair.publicKeyBytes()).encode();
            transport.put(keyId, pair);
            transportStatements.put(keyId, new CeremonyStatus.SignedStatement(statement,
                    CmsSigner.signDetached(statement, key.key(), null, key.chain())));
        }
        return status(keyId);
    }

    /** Takes this custodian's share of the key of {@code keyRecordJson}, sealed to the transport key, into the token. */
    synchronized KeyAttestor.Attestation receive(byte[] keyRecordJson, byte[] enc, byte[] ciphertext) {
        KeyRecord key;
        try {
            key = KeyRecordJson.read(keyRecordJson);
        } catch (java.io.IOException | RuntimeException e) {
            throw new InvalidArgumentException("key_record", "is not a valid key record: " + e.getMessage());
        }
        State s = byKey.get(key.keyId());
        if (s == null) {
            throw new AgentRefusedException("custodian " + custodianId + " has not consented to the ceremony of key " + key.keyId()
                    + "; no share is taken without that consent");
        }
        String mismatch = s.consent.mismatch(key);
        if (mismatch != null) {
            throw new InvalidArgumentException("key_record", "is not the key custodian " + custodianId + " consented to: " + mismatch);
        }
        KeyAttestor.Signer attestor = requireSigner();
        byte[] recordSha256 = ConsentStatement.sha256(keyRecordJson);
        CustodianShare mine = key.shareOf(custodianId).orElseThrow();
        if (s.receivedRecordSha256 != null) {
            if (!Arrays.equals(s.receivedRecordSha256, recordSha256)) {
                throw new AgentRefusedException("this agent already took its share of key " + key.keyId() + " for another key record");
            }
            return KeyAttestor.attest(custodianId, token, attestor, keyRecordJson);
        }
        if (!token.hasShare(key.keyId())) {
            importShare(key, mine, enc, ciphertext, keyRecordJson);
        } else if (!holds(key.keyId(), mine.publicShare())) {
            throw new AgentRefusedException("this agent's token already holds another share of key " + key.keyId());
        }
        // Otherwise the token already holds exactly this record's share: imported just before a crash that came before the journal.
        KeyAttestor.Attestation attestation = KeyAttestor.attest(custodianId, token, attestor, keyRecordJson);
        record.accept(new AgentJournal.ShareReceived(key.keyId(), clock.instant(), recordSha256));
        // The transport key has done its one job; its statement goes with it.
        transport.remove(key.keyId());
        transportStatements.remove(key.keyId());
        return attestation;
    }

    private void importShare(KeyRecord key, CustodianShare mine, byte[] enc, byte[] ciphertext, byte[] keyRecordJson) {
        Hpke.KeyPair pair = transport.get(key.keyId());
        if (pair == null) {
            throw new AgentRefusedException("this agent holds no transport key for key " + key.keyId()
                    + " (it restarted since one was made); the ceremony must ask for a new one");
        }
        SecretScalar share = CeremonyShares.open(pair, custodianId, key.keyId(), keyRecordJson, enc, ciphertext);
        try {
            ECPoint publicShare = P256.G.multiply(share.toBigInteger()).normalize();
            if (!publicShare.equals(mine.publicShare())) {
                throw new InvalidArgumentException("sealed_share", "holds another share than the key record's public share for "
                        + custodianId + " (the Feldman-committed one)");
            }
            token.importShare(key.keyId(), share, publicShare);
        } finally {
            share.destroy();
        }
    }

    private boolean holds(String keyId, ECPoint publicShare) {
        return Arrays.equals(token.deriveX(keyId, P256.G), P256.xBytes(publicShare));
    }

    private KeyAttestor.Signer requireSigner() {
        return signer.orElseThrow(() -> new AgentRefusedException(
                "this agent has no attestation key (--attest-cert and --attest-key) to sign for a ceremony's share"));
    }
}
