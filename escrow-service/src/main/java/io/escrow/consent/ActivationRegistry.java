package io.escrow.consent;

import io.escrow.audit.AuditAppender;
import io.escrow.audit.AuditEntry;
import io.escrow.audit.AuditWriter;
import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.cms.VerifiedSignature;
import io.escrow.error.AccessDeniedException;
import io.escrow.error.EscrowException;
import io.escrow.error.InvalidArgumentException;
import io.escrow.hsm.HsmException;
import io.escrow.hsm.PinSource;
import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.hsm.TokenConfig;
import io.escrow.keys.KeyRegistry;
import io.escrow.recovery.CustodianAccess;
import io.escrow.storage.Database;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.P256;
import io.escrow.threshold.ShareToken;
import io.escrow.warrant.Warrant;
import io.escrow.warrant.WarrantService;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Custodian consent: a share is usable only while its custodian has activated it for one
 * warrant, for a bounded time and number of decapsulations.
 *
 * <p>The custodian's credential (token PIN) is used once, to log in, and wiped: the login session
 * is what the activation holds. PKCS#11 login state belongs to the process and the slot, so one
 * session per custodian serves all of that custodian's live activations and is logged out when
 * the last one ends. While it is open a second C_Login would be skipped, so a later activation's
 * credential is checked against an HMAC of the first one under a per-process random key instead.
 *
 * <p>Every grant, refusal, deactivation, expiry and exhaustion appends an audit leaf; each
 * release leaf names the custodians whose tokens took part.
 */
public final class ActivationRegistry implements CustodianAccess, AutoCloseable {
    public static final int MAX_USES = 1_000_000;
    private static final int ENDED_KEPT = 1000;

    /** What a custodian sends; the credential is wiped once used. */
    public record Request(String custodianId, String warrantId, byte[] cms, char[] credential, long maxUses, Duration ttl) {
        @Override
        public String toString() {
            return "ActivationRequest[" + custodianId + " for " + warrantId + ", credential=redacted]";
        }
    }

    private static final class Live {
        final String custodianId;
        final String warrantId;
        final Instant expiresAt;
        int usesLeft;

        Live(String custodianId, String warrantId, Instant expiresAt, int usesLeft) {
            this.custodianId = custodianId;
            this.warrantId = warrantId;
            this.expiresAt = expiresAt;
            this.usesLeft = usesLeft;
        }
    }

    private static final class Session {
        final Pkcs11ShareToken token;
        final byte[] credentialMac;
        /** Live activations using this session. */
        int refs;
        /** Recovery pages reserved on it and not yet finished: their releases are committed, so it stays open for them. */
        int leases;

        Session(Pkcs11ShareToken token, byte[] credentialMac) {
            this.token = token;
            this.credentialMac = credentialMac;
        }
    }

    private final Map<String, TokenConfig> custodians = new LinkedHashMap<>();
    private final TrustAnchors anchors;
    private final WarrantService warrants;
    private final KeyRegistry keys;
    private final Database db;
    private final AuditWriter audit;
    private final Clock clock;
    private final Duration maxTtl;
    private final byte[] macKey = new byte[32];
    /** "custodian\0warrant" -> live activation. Guarded by this. */
    private final Map<String, Live> live = new LinkedHashMap<>();
    private final Map<String, Session> sessions = new LinkedHashMap<>();
    private final Deque<Activation> ended = new ArrayDeque<>();
    private final ScheduledExecutorService timer;
    private final CredentialFailures credentialFailures = new CredentialFailures(CredentialFailures.MAX_FAILURES,
            CredentialFailures.LOCKOUT);

    public ActivationRegistry(List<TokenConfig> custodianTokens, TrustAnchors anchors, WarrantService warrants, KeyRegistry keys,
                              Database db, Clock clock, Duration maxTtl) {
        custodianTokens.forEach(c -> custodians.put(c.custodianId(), c));
        this.anchors = anchors;
        this.warrants = warrants;
        this.keys = keys;
        this.db = db;
        this.audit = new AuditWriter(db, clock);
        this.clock = clock;
        this.maxTtl = maxTtl;
        new SecureRandom().nextBytes(macKey);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "activation-expiry");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                expireDue();
            } catch (RuntimeException ignored) {
                // Retried next second; a database outage must not stop expiry for good.
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    /** Refuses an activation the transport could not even decode (a malformed ttl), with the same audit leaf. */
    public EscrowException refuse(String caller, String custodianId, String warrantId, EscrowException e) {
        return ActivationRejections.audited(audit, caller, custodianId, warrantId, e);
    }

    /**
     * Grants an activation, or refuses it with an audit leaf and a typed error.
     *
     * @param development the caller is the fixed development identity, which may act for any custodian
     */
    public Activation activate(String caller, boolean development, Request r) {
        try {
            return grant(caller, development, r);
        } catch (EscrowException e) {
            throw ActivationRejections.audited(audit, caller, r.custodianId(), r.warrantId(), e);
        } finally {
            if (r.credential() != null) {
                Arrays.fill(r.credential(), '\0');
            }
        }
    }

    private Activation grant(String caller, boolean development, Request r) {
        expireDue();
        TokenConfig token = custodians.get(r.custodianId());
        if (token == null) {
            throw new InvalidArgumentException("custodian_id", "'" + r.custodianId() + "' is not a configured custodian "
                    + custodians.keySet());
        }
        if (!development && !caller.equals(r.custodianId())) {
            throw new AccessDeniedException("caller " + caller + " may not activate the share of " + r.custodianId());
        }
        if (!anchors.names().contains(r.custodianId())) {
            throw new InvalidArgumentException("custodian_id", "'" + r.custodianId() + "' has no trust anchor configured "
                    + "(escrow.custodians." + r.custodianId() + ".trust-anchor)");
        }
        Warrant w = warrants.get(r.warrantId());
        // Consent is given to a warrant the authorities have fully approved, never in advance.
        if (warrants.state(w) != io.escrow.warrant.WarrantState.ACTIVE) {
            throw new ActivationRejectedException(EscrowException.Category.FAILED_PRECONDITION,
                    "cannot activate: " + w.whyNotActive(clock.instant(), warrants.policy()));
        }
        if (r.ttl() == null || r.ttl().isNegative() || r.ttl().isZero()) {
            throw new InvalidArgumentException("ttl", "is required and must be positive");
        }
        if (r.ttl().compareTo(maxTtl) > 0) {
            throw new InvalidArgumentException("ttl", "is longer than the allowed " + maxTtl);
        }
        if (r.maxUses() < 1 || r.maxUses() > MAX_USES) {
            throw new InvalidArgumentException("max_uses", "must be 1.." + MAX_USES);
        }
        if (r.credential() == null || r.credential().length == 0) {
            throw new InvalidArgumentException("credential", "is required");
        }
        Instant now = clock.instant();
        VerifiedSignature sig = CmsSignatureVerifier.verify(r.cms(), w.signedBytes(),
                anchors.only(r.custodianId()), w.filedAt(), now);
        byte[] cmsHash = sha256(r.cms());
        if (alreadyUsed(cmsHash)) {
            throw new ActivationRejectedException(EscrowException.Category.FAILED_PRECONDITION,
                    "this signature was already used for an activation; sign the warrant again to activate again");
        }
        Instant expires = now.plus(r.ttl());
        Instant notAfter = Instant.ofEpochSecond(w.spec().notAfter());
        if (expires.isAfter(notAfter)) {
            expires = notAfter;
        }
        String key = r.custodianId() + '\0' + r.warrantId();
        synchronized (this) {
            credentialFailures.requireNotLockedOut(r.custodianId(), now);
            if (live.containsKey(key)) {
                throw new ActivationRejectedException(EscrowException.Category.ALREADY_EXISTS, "custodian " + r.custodianId()
                        + " already has a live activation for warrant " + r.warrantId() + "; deactivate it first");
            }
            Session s = sessions.get(r.custodianId());
            boolean fresh = s == null;
            if (fresh) {
                s = new Session(login(token, r.credential(), now), mac(r.credential()));
            } else if (!MessageDigest.isEqual(s.credentialMac, mac(r.credential()))) {
                throw credentialFailures.failed(r.custodianId(), now);
            }
            credentialFailures.succeeded(r.custodianId());
            Live a = new Live(r.custodianId(), r.warrantId(), expires, (int) r.maxUses());
            try {
                record(caller, a, sig, cmsHash, now);
            } catch (RuntimeException e) {
                if (fresh) {
                    s.token.close();
                }
                throw e;
            }
            if (fresh) {
                sessions.put(r.custodianId(), s);
            }
            s.refs++;
            live.put(key, a);
            return view(a, Activation.State.ACTIVE);
        }
    }

    /** Logs in with the custodian's credential and checks the token holds the current key's share. */
    private Pkcs11ShareToken login(TokenConfig config, char[] credential, Instant now) {
        PinSource.Memory pin = PinSource.memory(credential);
        Pkcs11ShareToken t;
        try {
            t = Pkcs11ShareToken.open(new TokenConfig(config.custodianId(), config.library(), config.label(), pin));
        } catch (HsmException.WrongPin e) {
            throw credentialFailures.failed(config.custodianId(), now);
        } finally {
            pin.wipe();
        }
        KeyRecord k = keys.current().orElse(null);
        if (k != null && k.shareOf(config.custodianId()).isPresent()) {
            try {
                byte[] x = t.deriveX(k.keyId(), P256.G);
                if (!Arrays.equals(x, P256.xBytes(k.shareOf(config.custodianId()).get().publicShare()))) {
                    throw new IllegalStateException("wrong share");
                }
            } catch (RuntimeException e) {
                t.close();
                throw new ActivationRejectedException(EscrowException.Category.FAILED_PRECONDITION, "the token of "
                        + config.custodianId() + " does not hold its share of key " + k.keyId());
            }
        }
        return t;
    }

    private boolean alreadyUsed(byte[] cmsHash) {
        return db.inTransaction("checking activation signatures", c -> {
            try (PreparedStatement ps = c.prepareStatement("select 1 from custodian_activations where cms_sha256 = ?")) {
                ps.setBytes(1, cmsHash);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    private void record(String caller, Live a, VerifiedSignature sig, byte[] cmsHash, Instant now) {
        db.inTransaction("recording an activation", c -> {
            long index = AuditAppender.lockHead(c);
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("custodian_id", a.custodianId);
            f.put("warrant_id", a.warrantId);
            f.put("signer", sig.signer());
            f.put("cms_sha256", cmsHash);
            f.put("expires_at", a.expiresAt.getEpochSecond());
            f.put("max_uses", a.usesLeft);
            AuditAppender.append(c, index, List.of(AuditEntry.of("activation_granted", now, caller, f)));
            try (PreparedStatement ps = c.prepareStatement("insert into custodian_activations (custodian_id, warrant_id, "
                    + "cms_sha256, activated_by, activated_at, expires_at, max_uses, audit_index) values (?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, a.custodianId);
                ps.setString(2, a.warrantId);
                ps.setBytes(3, cmsHash);
                ps.setString(4, caller);
                ps.setTimestamp(5, Timestamp.from(now));
                ps.setTimestamp(6, Timestamp.from(a.expiresAt));
                ps.setInt(7, a.usesLeft);
                ps.setLong(8, index);
                ps.executeUpdate();
            } catch (java.sql.SQLException e) {
                if ("23505".equals(e.getSQLState())) {
                    // The same signature raced another activation request: a replay.
                    throw new ActivationRejectedException(EscrowException.Category.FAILED_PRECONDITION,
                            "this signature was already used for an activation; sign the warrant again to activate again");
                }
                throw e;
            }
            return null;
        });
    }

    public Activation deactivate(String caller, boolean development, String custodianId, String warrantId) {
        if (!development && !caller.equals(custodianId)) {
            throw new AccessDeniedException("caller " + caller + " may not deactivate the share of " + custodianId);
        }
        Live a;
        synchronized (this) {
            a = live.get(custodianId + '\0' + warrantId);
            if (a == null) {
                throw new ActivationRejectedException(EscrowException.Category.NOT_FOUND,
                        "custodian " + custodianId + " has no live activation for warrant " + warrantId);
            }
            end(a, Activation.State.DEACTIVATED, caller);
        }
        return view(a, Activation.State.DEACTIVATED);
    }

    public synchronized List<Activation> list(String warrantId) {
        List<Activation> out = new ArrayList<>();
        live.values().stream().filter(a -> a.warrantId.equals(warrantId)).forEach(a -> out.add(view(a, Activation.State.ACTIVE)));
        ended.stream().filter(a -> a.warrantId().equals(warrantId)).forEach(out::add);
        return out;
    }

    /**
     * The t custodians with the most uses left (ties in configuration order), and as many records
     * as the one of them with the fewest uses left may still open.
     */
    @Override
    public synchronized Reservation reserve(String warrantId, int threshold, int records) {
        Instant now = clock.instant();
        LinkedHashMap<String, Integer> usable = new LinkedHashMap<>();
        for (String id : custodians.keySet()) {
            Live a = live.get(id + '\0' + warrantId);
            if (a != null && a.usesLeft > 0 && now.isBefore(a.expiresAt)) {
                usable.put(id, a.usesLeft);
            }
        }
        Reservation r = Reservation.choose(usable, threshold, records, id -> sessions.get(id).token);
        r.custodianIds().forEach(id -> sessions.get(id).leases++);
        return r;
    }

    /**
     * The page is done: its sessions may be logged out once no activation and no other page
     * needs them. Until then an activation that ends meanwhile (its warrant exhausted by this very
     * page's releases, or revoked) does not pull the token from under records already released.
     */
    @Override
    public synchronized void finished(Reservation reserved) {
        for (String id : reserved.custodianIds()) {
            Session s = sessions.get(id);
            if (s != null && --s.leases <= 0) {
                s.leases = 0;
                closeIfUnused(id, s);
            }
        }
    }

    private void closeIfUnused(String custodianId, Session s) {
        if (s.refs <= 0 && s.leases <= 0) {
            s.token.close();
            sessions.remove(custodianId);
        }
    }

    @Override
    public synchronized void used(String warrantId, List<String> custodianIds) {
        for (String id : custodianIds) {
            Live a = live.get(id + '\0' + warrantId);
            if (a != null && --a.usesLeft <= 0) {
                end(a, Activation.State.EXHAUSTED, "escrow-service");
            }
        }
    }

    @Override
    public List<String> missing(String warrantId) {
        expireDue();
        int t = keys.current().map(KeyRecord::threshold).orElse(custodians.size());
        synchronized (this) {
            List<String> have = new ArrayList<>();
            List<String> lack = new ArrayList<>();
            for (String id : custodians.keySet()) {
                (live.containsKey(id + '\0' + warrantId) ? have : lack).add(id);
            }
            return have.size() >= t ? List.of() : lack;
        }
    }

    /**
     * Ends every activation whose time is up, and every activation whose warrant is no longer
     * ACTIVE (revoked, expired or exhausted, on whichever replica that happened).
     */
    public void expireDue() {
        Instant now = clock.instant();
        List<String> warrantIds;
        synchronized (this) {
            for (Live a : List.copyOf(live.values())) {
                if (!now.isBefore(a.expiresAt)) {
                    end(a, Activation.State.EXPIRED, "escrow-service");
                }
            }
            warrantIds = live.values().stream().map(a -> a.warrantId).distinct().toList();
        }
        for (String id : warrantIds) {
            Warrant w = warrants.get(id);
            io.escrow.warrant.WarrantState state = warrants.state(w);
            if (state == io.escrow.warrant.WarrantState.ACTIVE) {
                continue;
            }
            synchronized (this) {
                for (Live a : List.copyOf(live.values())) {
                    if (a.warrantId.equals(id)) {
                        end(a, Activation.State.DEACTIVATED, "escrow-service");
                    }
                }
            }
        }
    }

    /** Removes a live activation, logs the custodian's token out when nothing else uses it, and audits why. */
    private void end(Live a, Activation.State why, String actor) {
        live.remove(a.custodianId + '\0' + a.warrantId);
        Session s = sessions.get(a.custodianId);
        if (s != null) {
            s.refs--;
            closeIfUnused(a.custodianId, s);
        }
        ended.addFirst(view(a, why));
        while (ended.size() > ENDED_KEPT) {
            ended.removeLast();
        }
        audit.append("activation_" + why.name().toLowerCase(), actor, Map.of("custodian_id", a.custodianId,
                "warrant_id", a.warrantId, "uses_left", a.usesLeft));
    }

    private static Activation view(Live a, Activation.State state) {
        return new Activation(a.custodianId, a.warrantId, state, a.expiresAt, Math.max(0, a.usesLeft));
    }

    private byte[] mac(char[] credential) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(macKey, "HmacSHA256"));
            ByteBuffer b = StandardCharsets.UTF_8.encode(CharBuffer.wrap(credential));
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            try {
                return m.doFinal(bytes);
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data == null ? new byte[0] : data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Ends every activation and logs out of every token. */
    @Override
    public synchronized void close() {
        timer.shutdownNow();
        for (Session s : sessions.values()) {
            s.token.close();
        }
        sessions.clear();
        live.clear();
    }
}
