package io.escrow.agent;

import io.escrow.threshold.ShareToken;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A page's in-token ECDHs, on up to {@code sessions} token sessions at once. A network HSM
 * answers each operation only after a round trip but serves many sessions in parallel, so one
 * session at a time leaves it idle; SoftHSM on a small machine gains nothing from more than one.
 * Each thread holds its own session (the token keeps a KeyAgreement per thread), and the
 * results come back in the page's order.
 */
final class PageDeriver implements AutoCloseable {
    public static final int MAX_SESSIONS = 64;

    private final ShareToken token;
    private final int sessions;
    /** Null with one session: the caller's thread derives. */
    private final ExecutorService pool;

    PageDeriver(ShareToken token, int sessions) {
        if (sessions < 1 || sessions > MAX_SESSIONS) {
            throw new IllegalArgumentException("sessions must be 1.." + MAX_SESSIONS + ", got " + sessions);
        }
        this.token = token;
        this.sessions = sessions;
        this.pool = sessions == 1 ? null : Executors.newFixedThreadPool(sessions, r -> {
            Thread t = new Thread(r, "agent-derive-" + token.custodianId());
            t.setDaemon(true);
            return t;
        });
    }

    /** x(share·point) for each (keyId, point), in order; the first failure fails the page. */
    List<byte[]> derive(List<String> keyIds, List<ECPoint> points) {
        int n = points.size();
        if (pool == null || n == 1) {
            List<byte[]> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(token.deriveX(keyIds.get(i), points.get(i)));
            }
            return out;
        }
        int chunk = (n + sessions - 1) / sessions;
        List<Future<List<byte[]>>> parts = new ArrayList<>();
        for (int start = 0; start < n; start += chunk) {
            int from = start;
            int to = Math.min(n, start + chunk);
            parts.add(pool.submit(() -> {
                List<byte[]> part = new ArrayList<>(to - from);
                for (int i = from; i < to; i++) {
                    part.add(token.deriveX(keyIds.get(i), points.get(i)));
                }
                return part;
            }));
        }
        List<byte[]> out = new ArrayList<>(n);
        try {
            for (Future<List<byte[]>> f : parts) {
                out.addAll(f.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            parts.forEach(f -> f.cancel(true));
            throw new IllegalStateException("interrupted while deriving a page", e);
        } catch (ExecutionException e) {
            parts.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
        return out;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
