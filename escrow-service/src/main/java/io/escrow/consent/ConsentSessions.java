package io.escrow.consent;

import io.escrow.error.EscrowException;
import io.escrow.hsm.HsmException;
import io.escrow.hsm.PinSource;
import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.hsm.TokenConfig;
import io.escrow.keys.KeyRegistry;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.P256;
import io.escrow.threshold.ShareToken;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The logged-in token sessions behind live activations: one per custodian, shared by all of that
 * custodian's activations, logged out when no activation and no recovery page uses it.
 *
 * <p>Two kinds of lock, so that one custodian's slow token or slow database write never holds up
 * another custodian, nor a recovery already running:
 * <ul>
 *   <li>each custodian has its own lock, held across its HSM login, the database write that
 *       records its activation, and the logout of its session. PKCS#11 login state belongs to the
 *       process and the slot, so a login and a logout of one custodian must never interleave. A
 *       caller waits for it at most {@code lockWait}, then is told to try again;</li>
 *   <li>this object's monitor guards only in-memory counts and is never held across I/O.</li>
 * </ul>
 * A session whose last user ends is logged out at once if its custodian's lock is free, and
 * otherwise by a background thread, or by that custodian's next activation, before it logs in.
 */
final class ConsentSessions implements AutoCloseable {

    /** One custodian's login. The counts are guarded by the owning {@link ConsentSessions}. */
    static final class Session {
        final Pkcs11ShareToken token;
        private final byte[] credentialMac;
        /** Live activations using this session. */
        private int refs;
        /** Recovery pages reserved on it and not yet finished: their releases are committed, so it stays open for them. */
        private int leases;

        private Session(Pkcs11ShareToken token, byte[] credentialMac) {
            this.token = token;
            this.credentialMac = credentialMac;
        }
    }

    private static final class Slot {
        final ReentrantLock lock = new ReentrantLock();
        /** Sessions no longer used and not yet logged out. Guarded by the owning ConsentSessions. */
        final List<Session> closing = new ArrayList<>();
    }

    /** A custodian's lock, held; closing it unlocks. */
    final class Held implements AutoCloseable {
        private final String custodianId;
        private final Slot slot;

        private Held(String custodianId, Slot slot) {
            this.custodianId = custodianId;
            this.slot = slot;
        }

        @Override
        public void close() {
            slot.lock.unlock();
        }
    }

    private final Map<String, Slot> slots = new HashMap<>();
    private final Map<String, Session> open = new HashMap<>();
    private final KeyRegistry keys;
    private final Duration lockWait;
    private final CredentialFailures failures = new CredentialFailures(CredentialFailures.MAX_FAILURES,
            CredentialFailures.LOCKOUT);
    private final byte[] macKey = new byte[32];
    private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "consent-session-close");
        t.setDaemon(true);
        return t;
    });

    ConsentSessions(Iterable<String> custodianIds, KeyRegistry keys, Duration lockWait) {
        custodianIds.forEach(id -> slots.put(id, new Slot()));
        this.keys = keys;
        this.lockWait = lockWait;
        new SecureRandom().nextBytes(macKey);
    }

    /** Takes the custodian's lock, or refuses with UNAVAILABLE after waiting {@code lockWait} for it. */
    Held lock(String custodianId) {
        Slot slot = slots.get(custodianId);
        try {
            if (!slot.lock.tryLock(lockWait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ActivationRejectedException(EscrowException.Category.UNAVAILABLE, "another activation of "
                        + custodianId + " is still in progress after " + lockWait.toMillis() + " ms; try again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationRejectedException(EscrowException.Category.UNAVAILABLE, "interrupted while waiting");
        }
        return new Held(custodianId, slot);
    }

    /**
     * The session a new activation will use: the custodian's open one if the credential matches
     * the one it was opened with (compared as an HMAC under a per-process key, because a second
     * C_Login on a logged-in slot would be skipped), or a new login. Wrong credentials count
     * towards the custodian's lockout. The session counts the activation only at {@link #addRef}.
     */
    Session openOrVerify(Held held, TokenConfig config, char[] credential, Instant now) {
        failures.requireNotLockedOut(held.custodianId, now);
        logOutClosing(held.slot);
        Session existing;
        synchronized (this) {
            existing = open.get(held.custodianId);
        }
        byte[] mac = mac(credential);
        if (existing != null && !MessageDigest.isEqual(existing.credentialMac, mac)) {
            throw failures.failed(held.custodianId, now);
        }
        Session s = existing != null ? existing : new Session(login(config, credential, now), mac);
        failures.succeeded(held.custodianId);
        return s;
    }

    /** Counts one more activation on {@code s}, making it the custodian's open session if it was new or about to close. */
    synchronized void addRef(Held held, Session s) {
        held.slot.closing.remove(s);
        open.put(held.custodianId, s);
        s.refs++;
    }

    /** Logs out a session from {@link #openOrVerify} that no activation took after all (its record failed). */
    void discard(Held held, Session s) {
        synchronized (this) {
            if (open.get(held.custodianId) == s) {
                return;
            }
        }
        s.token.close();
    }

    /** Leases the custodian's session to a recovery page. Call only while an activation of it is live. */
    synchronized ShareToken lease(String custodianId) {
        Session s = open.get(custodianId);
        s.leases++;
        return s.token;
    }

    void unlease(String custodianId) {
        release(custodianId, false);
    }

    void unref(String custodianId) {
        release(custodianId, true);
    }

    private void release(String custodianId, boolean ref) {
        Slot slot = slots.get(custodianId);
        synchronized (this) {
            Session s = open.get(custodianId);
            if (s == null) {
                return;
            }
            if (ref) {
                s.refs--;
            } else {
                s.leases--;
            }
            if (s.refs > 0 || s.leases > 0) {
                return;
            }
            open.remove(custodianId);
            slot.closing.add(s);
        }
        // Logging out is token I/O: never under this monitor, and only under the custodian's lock.
        if (slot.lock.tryLock()) {
            try {
                logOutClosing(slot);
            } finally {
                slot.lock.unlock();
            }
        } else {
            closer.execute(() -> {
                slot.lock.lock();
                try {
                    logOutClosing(slot);
                } finally {
                    slot.lock.unlock();
                }
            });
        }
    }

    /** Under the custodian's lock: logs out every session of it that no one uses any more. */
    private void logOutClosing(Slot slot) {
        List<Session> due;
        synchronized (this) {
            due = List.copyOf(slot.closing);
            slot.closing.clear();
        }
        due.forEach(s -> s.token.close());
    }

    /** Logs in with the custodian's credential and checks the token holds the current key's share. */
    private Pkcs11ShareToken login(TokenConfig config, char[] credential, Instant now) {
        PinSource.Memory pin = PinSource.memory(credential);
        Pkcs11ShareToken t;
        try {
            t = Pkcs11ShareToken.open(new TokenConfig(config.custodianId(), config.library(), config.label(), pin));
        } catch (HsmException.WrongPin e) {
            throw failures.failed(config.custodianId(), now);
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

    /** Logs out of every token. */
    @Override
    public void close() {
        closer.shutdownNow();
        List<Session> all;
        synchronized (this) {
            all = new ArrayList<>(open.values());
            slots.values().forEach(s -> all.addAll(s.closing));
            open.clear();
            slots.values().forEach(s -> s.closing.clear());
        }
        all.forEach(s -> s.token.close());
    }
}
