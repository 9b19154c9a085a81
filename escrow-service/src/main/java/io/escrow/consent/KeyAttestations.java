package io.escrow.consent;

import io.escrow.agent.KeyAttestor;
import io.escrow.audit.AuditAppender;
import io.escrow.audit.AuditEntry;
import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.keys.KeyRecordJson;
import io.escrow.keys.KeyRegistry;
import io.escrow.storage.Database;
import io.escrow.threshold.CustodianShare;
import io.escrow.threshold.KeyRecord;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Which escrow key is served as current when custodians are agent-backed: the newest key that at
 * least t custodians' agents attested. A key that lacks attestations is offered to the agents
 * (at most once per ten seconds per key); each answer must be exactly the statement this key
 * record implies and, where the custodian's CA is configured, signed by a certificate from it.
 * Attestations are stored with a {@code key_attested} leaf each, and the t-th one adds a
 * {@code key_published} leaf. A key record the operator made from a polynomial of its own gets
 * no attestation, so it is never served as current.
 */
public final class KeyAttestations {
    private static final Duration RETRY = Duration.ofSeconds(10);

    private final Database db;
    private final KeyRegistry keys;
    private final AgentConsents agents;
    private final TrustAnchors custodianAnchors;
    private final Clock clock;
    private final Consumer<String> warn;
    private final Map<String, Instant> lastAsked = new ConcurrentHashMap<>();

    public KeyAttestations(Database db, KeyRegistry keys, AgentConsents agents, TrustAnchors custodianAnchors, Clock clock,
                           Consumer<String> warn, io.escrow.keys.RetiredKeys retired) {
        this.retired = retired;
        this.db = db;
        this.keys = keys;
        this.agents = agents;
        this.custodianAnchors = custodianAnchors;
        this.clock = clock;
        this.warn = warn;
    }

    /** A key with the attestations stored for it. */
    public record Attested(KeyRecord key, List<KeyAttestor.Attestation> attestations) {}

    private final io.escrow.keys.RetiredKeys retired;

    /** The newest key with at least t attestations, asking the agents about newer keys first; never a retired key. */
    public Optional<Attested> current() {
        List<KeyRecord> newestFirst = new ArrayList<>(keys.all());
        newestFirst.sort(Comparator.comparing(KeyRecord::createdAt).thenComparing(KeyRecord::keyId).reversed());
        for (KeyRecord k : newestFirst) {
            if (retired.find(k.keyId()).isPresent()) {
                continue;
            }
            List<KeyAttestor.Attestation> have = stored(k.keyId());
            if (have.size() < k.threshold() && collect(k)) {
                have = stored(k.keyId());
            }
            if (have.size() >= k.threshold()) {
                return Optional.of(new Attested(k, have));
            }
        }
        return Optional.empty();
    }

    /** The attestations stored for a key, by custodian. */
    public List<KeyAttestor.Attestation> stored(String keyId) {
        return db.inTransaction("reading key attestations", c -> {
            List<KeyAttestor.Attestation> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "select custodian_id, statement, cms_signature from key_attestations where key_id = ? order by custodian_id")) {
                ps.setString(1, keyId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new KeyAttestor.Attestation(rs.getString(1), rs.getBytes(2), rs.getBytes(3)));
                    }
                }
            }
            return out;
        });
    }

    /** Asks the agents about a key and stores what vouches for it; false when it was asked too recently. */
    private boolean collect(KeyRecord k) {
        Instant now = clock.instant();
        Instant last = lastAsked.get(k.keyId());
        if (last != null && now.isBefore(last.plus(RETRY))) {
            return false;
        }
        lastAsked.put(k.keyId(), now);
        byte[] json = KeyRecordJson.write(k);
        for (KeyAttestor.Attestation a : agents.attestations(json)) {
            String problem = problem(k, json, a, custodianAnchors, clock.instant());
            if (problem != null) {
                warn.accept("key " + k.keyId() + ": the attestation of " + a.custodianId() + " is refused: " + problem);
            } else {
                store(k, a);
            }
        }
        return true;
    }

    /**
     * Why an attestation does not vouch for this key record (its JSON), or null when it does: the
     * statement must be exactly the one the record implies and, where the custodian's CA is among
     * {@code custodianAnchors}, signed by a certificate from it.
     */
    public static String problem(KeyRecord k, byte[] json, KeyAttestor.Attestation a, TrustAnchors custodianAnchors, Instant now) {
        Optional<CustodianShare> share = k.shareOf(a.custodianId());
        if (share.isEmpty()) {
            return "the key has no share of " + a.custodianId();
        }
        byte[] expected = KeyAttestor.statement(a.custodianId(), k, share.get(), ConsentStatement.sha256(json));
        if (!Arrays.equals(expected, a.statement())) {
            return "its statement is not the one this key record implies";
        }
        if (custodianAnchors.names().contains(a.custodianId())) {
            try {
                CmsSignatureVerifier.verify(a.cms(), a.statement(), custodianAnchors.only(a.custodianId()), k.createdAt(), now);
            } catch (RuntimeException e) {
                return e.getMessage();
            }
        }
        return null;
    }

    private void store(KeyRecord k, KeyAttestor.Attestation a) {
        Instant now = clock.instant();
        db.inTransaction("recording a key attestation", c -> {
            long index = AuditAppender.lockHead(c);
            int before = 0;
            try (PreparedStatement ps = c.prepareStatement("select custodian_id from key_attestations where key_id = ?")) {
                ps.setString(1, k.keyId());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getString(1).equals(a.custodianId())) {
                            return null; // another replica stored it first
                        }
                        before++;
                    }
                }
            }
            List<AuditEntry> leaves = new ArrayList<>();
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("key_id", k.keyId());
            f.put("custodian_id", a.custodianId());
            f.put("statement_sha256", ConsentStatement.sha256(a.statement()));
            f.put("cms_sha256", ConsentStatement.sha256(a.cms()));
            leaves.add(AuditEntry.of("key_attested", now, "escrow-service", f));
            if (before + 1 == k.threshold()) {
                leaves.add(AuditEntry.of("key_published", now, "escrow-service", Map.of("key_id", k.keyId(),
                        "public_key", k.publicKeyBytes(), "record_sha256", ConsentStatement.sha256(KeyRecordJson.write(k)))));
            }
            AuditAppender.append(c, index, leaves);
            try (PreparedStatement ps = c.prepareStatement("insert into key_attestations (key_id, custodian_id, statement, "
                    + "cms_signature, attested_at, audit_index) values (?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, k.keyId());
                ps.setString(2, a.custodianId());
                ps.setBytes(3, a.statement());
                ps.setBytes(4, a.cms());
                ps.setTimestamp(5, Timestamp.from(now));
                ps.setLong(6, index);
                ps.executeUpdate();
            }
            return null;
        });
    }
}
