package io.escrow.consent;

import io.escrow.audit.AuditWriter;
import io.escrow.cms.TrustAnchors;
import io.escrow.error.AccessDeniedException;
import io.escrow.error.EscrowException;
import io.escrow.hsm.TokenConfig;
import io.escrow.keys.KeyRegistry;
import io.escrow.recovery.CustodianAccess;
import io.escrow.storage.Database;
import io.escrow.threshold.KeyRecord;
import io.escrow.warrant.WarrantService;
import io.escrow.warrant.WarrantState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Custodian consent: a share is usable only while its custodian has activated it for one
 * warrant, for a bounded time and number of decapsulations.
 *
 * <p>{@link ActivationChecks} decides whether a request may be granted at all; this registry
 * keeps the live activations, their token sessions and their audit leaves.
 *
 * <p>The custodian's credential (token PIN) is used once, to log in, and wiped: the login session
 * ({@link ConsentSessions}) is what the activation holds.
 *
 * <p>This registry's monitor guards only the in-memory table of live activations; no token call
 * and no database write runs under it, so a recovery's reserve/used calls never wait behind a
 * custodian's HSM login or an audit write. An activation being granted holds only its own
 * custodian's lock.
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

    /** An activation taken out of the table under the monitor, whose audit leaf and logout follow outside it. */
    private record Ended(Activation view, String actor) {}

    private final Map<String, TokenConfig> custodians = new LinkedHashMap<>();
    private final ActivationChecks checks;
    private final WarrantService warrants;
    private final KeyRegistry keys;
    private final ActivationRecords records;
    private final AuditWriter audit;
    private final Clock clock;
    private final ConsentSessions sessions;
    /** "custodian\0warrant" -> live activation. Guarded by this. */
    private final Map<String, Live> live = new LinkedHashMap<>();
    /** Guarded by this. */
    private final LinkedList<Activation> ended = new LinkedList<>();
    private final ScheduledExecutorService timer;

    /**
     * @param lockWait how long an activation waits for another activation of the same custodian
     *                 (its HSM login and database write) before it is refused with UNAVAILABLE
     */
    public ActivationRegistry(List<TokenConfig> custodianTokens, TrustAnchors anchors, WarrantService warrants, KeyRegistry keys,
                              Database db, Clock clock, Duration maxTtl, Duration lockWait) {
        custodianTokens.forEach(c -> custodians.put(c.custodianId(), c));
        this.warrants = warrants;
        this.keys = keys;
        this.records = new ActivationRecords(db);
        this.checks = new ActivationChecks(custodians, anchors, warrants, records, clock, maxTtl);
        this.audit = new AuditWriter(db, clock);
        this.clock = clock;
        this.sessions = new ConsentSessions(custodians.keySet(), keys, lockWait);
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
        ActivationChecks.Checked c = checks.check(caller, development, r);
        String key = r.custodianId() + '\0' + r.warrantId();
        try (ConsentSessions.Held held = sessions.lock(r.custodianId())) {
            synchronized (this) {
                if (live.containsKey(key)) {
                    throw new ActivationRejectedException(EscrowException.Category.ALREADY_EXISTS, "custodian " + r.custodianId()
                            + " already has a live activation for warrant " + r.warrantId() + "; deactivate it first");
                }
            }
            ConsentSessions.Session s = sessions.openOrVerify(held, c.token(), r.credential(), c.checkedAt());
            Live a = new Live(r.custodianId(), r.warrantId(), c.expiresAt(), (int) r.maxUses());
            try {
                records.record(caller, new ActivationRecords.Granted(a.custodianId, a.warrantId, c.signature().signer(), c.cmsHash(),
                        a.expiresAt, a.usesLeft), c.checkedAt());
            } catch (RuntimeException e) {
                sessions.discard(held, s);
                throw e;
            }
            sessions.addRef(held, s);
            synchronized (this) {
                live.put(key, a);
                return view(a, Activation.State.ACTIVE);
            }
        }
    }

    public Activation deactivate(String caller, boolean development, String custodianId, String warrantId) {
        if (!development && !caller.equals(custodianId)) {
            throw new AccessDeniedException("caller " + caller + " may not deactivate the share of " + custodianId);
        }
        Ended e;
        synchronized (this) {
            Live a = live.get(custodianId + '\0' + warrantId);
            if (a == null) {
                throw new ActivationRejectedException(EscrowException.Category.NOT_FOUND,
                        "custodian " + custodianId + " has no live activation for warrant " + warrantId);
            }
            e = end(a, Activation.State.DEACTIVATED, caller);
        }
        finish(List.of(e));
        return e.view();
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
        return Reservation.choose(usable, threshold, records, sessions::lease);
    }

    /**
     * The page is done: its sessions may be logged out once no activation and no other page
     * needs them. Until then an activation that ends meanwhile (its warrant exhausted by this very
     * page's releases, or revoked) does not pull the token from under records already released.
     */
    @Override
    public void finished(Reservation reserved) {
        reserved.custodianIds().forEach(sessions::unlease);
    }

    @Override
    public void used(String warrantId, List<String> custodianIds) {
        List<Ended> done = new ArrayList<>();
        synchronized (this) {
            for (String id : custodianIds) {
                Live a = live.get(id + '\0' + warrantId);
                if (a == null) {
                    chargeEnded(id, warrantId);
                } else if (--a.usesLeft <= 0) {
                    done.add(end(a, Activation.State.EXHAUSTED, "escrow-service"));
                }
            }
        }
        finish(done);
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
        List<Ended> done = new ArrayList<>();
        List<String> warrantIds;
        synchronized (this) {
            for (Live a : List.copyOf(live.values())) {
                if (!now.isBefore(a.expiresAt)) {
                    done.add(end(a, Activation.State.EXPIRED, "escrow-service"));
                }
            }
            warrantIds = live.values().stream().map(a -> a.warrantId).distinct().toList();
        }
        finish(done);
        for (String id : warrantIds) {
            if (warrants.state(warrants.get(id)) == WarrantState.ACTIVE) {
                continue;
            }
            List<Ended> revoked = new ArrayList<>();
            synchronized (this) {
                for (Live a : List.copyOf(live.values())) {
                    if (a.warrantId.equals(id)) {
                        revoked.add(end(a, Activation.State.DEACTIVATED, "escrow-service"));
                    }
                }
            }
            finish(revoked);
        }
    }

    /**
     * A record opened by a page that was reserved before its activation ended (the page's own
     * releases exhausted the warrant, say): the use is charged to the ended activation, so what
     * ListActivations reports is what was spent.
     */
    private void chargeEnded(String custodianId, String warrantId) {
        for (ListIterator<Activation> it = ended.listIterator(); it.hasNext(); ) {
            Activation e = it.next();
            if (e.custodianId().equals(custodianId) && e.warrantId().equals(warrantId)) {
                it.set(new Activation(e.custodianId(), e.warrantId(), e.state(), e.expiresAt(), Math.max(0, e.usesLeft() - 1)));
                return;
            }
        }
    }

    /** Under the monitor: takes a live activation out of the table and remembers it as ended. */
    private Ended end(Live a, Activation.State why, String actor) {
        live.remove(a.custodianId + '\0' + a.warrantId);
        Activation v = view(a, why);
        ended.addFirst(v);
        while (ended.size() > ENDED_KEPT) {
            ended.removeLast();
        }
        return new Ended(v, actor);
    }

    /** Outside the monitor: audits why each activation ended, and logs its custodian's token out if nothing else uses it. */
    private void finish(List<Ended> done) {
        for (Ended e : done) {
            Activation v = e.view();
            try {
                sessions.unref(v.custodianId());
            } finally {
                audit.append("activation_" + v.state().name().toLowerCase(), e.actor(), Map.of("custodian_id", v.custodianId(),
                        "warrant_id", v.warrantId(), "uses_left", v.usesLeft()));
            }
        }
    }

    private static Activation view(Live a, Activation.State state) {
        return new Activation(a.custodianId, a.warrantId, state, a.expiresAt, Math.max(0, a.usesLeft));
    }

    /** Ends every activation and logs out of every token. */
    @Override
    public void close() {
        timer.shutdownNow();
        synchronized (this) {
            live.clear();
        }
        sessions.close();
    }
}
