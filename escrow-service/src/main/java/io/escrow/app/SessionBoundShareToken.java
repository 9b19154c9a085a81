package io.escrow.app;

import io.escrow.threshold.ShareToken;
import java.util.concurrent.Semaphore;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A custodian token that runs at most its configured number of ECDHs at once
 * ({@code escrow.hsm.token.ID.sessions}). The permits belong to the custodian, not to this
 * wrapper, so every recovery and every activation of that custodian shares them. SunPKCS11 keeps
 * a pool of native sessions per token; each concurrent derive takes one.
 */
final class SessionBoundShareToken extends io.escrow.threshold.ForwardingShareToken {
    private final ShareToken original;
    private final Semaphore sessions;

    /** @param measured {@code original} with its metrics, which then time only the derive, not the wait for a session */
    SessionBoundShareToken(ShareToken original, ShareToken measured, Semaphore sessions) {
        super(measured);
        this.original = original;
        this.sessions = sessions;
    }

    /** Whether this wraps {@code t}, the token object of the custodian's current login. */
    boolean wraps(ShareToken t) {
        return original == t;
    }

    @Override
    public byte[] deriveX(String keyId, ECPoint point) {
        sessions.acquireUninterruptibly();
        try {
            return token.deriveX(keyId, point);
        } finally {
            sessions.release();
        }
    }
}
