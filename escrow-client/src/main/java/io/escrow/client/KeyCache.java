package io.escrow.client;

import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The key new deposits are sealed to: the service's current key, served only once at least t of
 * its custodian attestations verify against the pinned certificates. It is fetched at first use,
 * refreshed every {@code refreshEvery}, and refreshed at once when the service reports that a
 * deposit's key is unknown or retired. A refresh that cannot reach the service keeps the key it
 * has (still attested); a refresh that finds an untrusted key stops all sealing until a trusted
 * key is served, because sealing to an operator's own key is exactly what the pins prevent.
 */
final class KeyCache {
    /** A verified key: what sealing needs. */
    record TrustedKey(String keyId, byte[] publicKey) {}

    private final EscrowServiceGrpc.EscrowServiceBlockingStub stub;
    private final AttestedKeys attested;
    private final Clock clock;
    private final ClientMetrics metrics;
    private final Duration callTimeout;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile TrustedKey current;
    private volatile DepositException untrusted;

    KeyCache(EscrowServiceGrpc.EscrowServiceBlockingStub stub, AttestedKeys attested, Clock clock, ClientMetrics metrics,
             Duration callTimeout) {
        this.stub = stub;
        this.attested = attested;
        this.clock = clock;
        this.metrics = metrics;
        this.callTimeout = callTimeout;
    }

    /** The key to seal to; fetches it on first use. Throws {@link DepositException} when there is none to trust. */
    TrustedKey current() {
        DepositException refused = untrusted;
        if (refused != null) {
            throw refused;
        }
        TrustedKey k = current;
        if (k != null) {
            return k;
        }
        synchronized (this) {
            if (current == null && untrusted == null) {
                refresh();
            }
            if (untrusted != null) {
                throw untrusted;
            }
            return current;
        }
    }

    /**
     * The key to seal to, waiting while the service cannot be reached, with the retry policy's
     * backoff and for at most its give-up time, as the lanes wait for receipts. Only an unreachable
     * service is waited for: an untrusted key, a refusal or a closed client fail at once.
     */
    TrustedKey awaitCurrent(RetryPolicy retry, BooleanSupplier closed) {
        long deadline = System.nanoTime() + retry.giveUpAfter().toNanos();
        for (int attempt = 1; ; attempt++) {
            try {
                return current();
            } catch (DepositException e) {
                if (e.reason() != DepositException.Reason.UNAVAILABLE || closed.getAsBoolean()) {
                    throw e;
                }
                long wait = retry.backoff(attempt, ThreadLocalRandom.current().nextDouble()).toNanos();
                if (System.nanoTime() + wait > deadline) {
                    throw new DepositException(DepositException.Reason.UNAVAILABLE, e.status().orElse(null),
                            "no escrow key could be fetched before the retry policy gave up (" + retry.giveUpText()
                                    + "); nothing was sent. Last: " + e.getMessage(), e);
                }
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new DepositException(DepositException.Reason.UNAVAILABLE, "interrupted while waiting for the escrow key");
                }
            }
        }
    }

    /**
     * Fetches and verifies the current key. Reachability failures propagate (callers decide);
     * an untrusted key is remembered so that nothing more is sealed until a trusted one is served.
     */
    synchronized void refresh() {
        EscrowKey key;
        try {
            key = stub.withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            throw Failures.ofCall("fetching the escrow key", e);
        }
        try {
            verifySuite(key);
            attested.verify(key, clock.instant());
        } catch (AttestedKeys.UntrustedKeyException e) {
            untrusted = new DepositException(DepositException.Reason.UNTRUSTED_KEY, null, e.getMessage(), e);
            current = null;
            throw untrusted;
        }
        untrusted = null;
        TrustedKey before = current;
        current = new TrustedKey(key.getKeyId(), key.getPublicKey().toByteArray());
        if (before == null || !before.keyId().equals(key.getKeyId())) {
            metrics.keyInUse(key.getKeyId());
        }
    }

    /** A refresh in the background, unless one is running; its failures leave the cache as it was. */
    void refreshQuietly() {
        if (!refreshing.compareAndSet(false, true)) {
            return;
        }
        try {
            refresh();
        } catch (DepositException ignored) {
            // Unreachable: keep the attested key we have. Untrusted: remembered by refresh().
        } finally {
            refreshing.set(false);
        }
    }

    private static void verifySuite(EscrowKey key) {
        if (key.getKemId() != DepositSealer.KEM_ID || key.getKdfId() != DepositSealer.KDF_ID || key.getAeadId() != DepositSealer.AEAD_ID) {
            throw new AttestedKeys.UntrustedKeyException(key.getKeyId(), String.format(
                    "its HPKE suite (kem 0x%04x, kdf 0x%04x, aead 0x%04x) is not the contract's (0x0010, 0x0001, 0x0002)",
                    key.getKemId(), key.getKdfId(), key.getAeadId()));
        }
    }
}
