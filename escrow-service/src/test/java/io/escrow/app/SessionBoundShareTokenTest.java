package io.escrow.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.escrow.bench.DelayedShareToken;
import io.escrow.testing.TestTokens;
import io.escrow.threshold.ForwardingShareToken;
import io.escrow.threshold.P256;
import io.escrow.threshold.SecretScalar;
import io.escrow.threshold.ShareToken;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;

/** A real SoftHSM token behind a 5 ms delay, asked from 8 threads: never more derives at once than its sessions. */
class SessionBoundShareTokenTest {

    /** Counts the derives inside the token at once (a test decorator around the real token). */
    private static final class Overlap extends ForwardingShareToken {
        final AtomicInteger now = new AtomicInteger();
        final AtomicInteger most = new AtomicInteger();

        Overlap(ShareToken token) {
            super(token);
        }

        @Override
        public byte[] deriveX(String keyId, ECPoint point) {
            most.accumulateAndGet(now.incrementAndGet(), Math::max);
            try {
                return token.deriveX(keyId, point);
            } finally {
                now.decrementAndGet();
            }
        }
    }

    @Test
    void deriveX_fromManyThreads_runsAtMostItsSessionsAtOnce_withTheTokensAnswers() throws Exception {
        ShareToken real = TestTokens.open("sess-1");
        BigInteger s = BigInteger.valueOf(424242);
        real.importShare("ek-sessions", SecretScalar.of(s), P256.G.multiply(s).normalize());
        Overlap inside = new Overlap(new DelayedShareToken(real, Duration.ofMillis(5)));
        ShareToken bound = new SessionBoundShareToken(real, inside, new Semaphore(3));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<byte[]>> answers = new ArrayList<>();
            List<ECPoint> points = new ArrayList<>();
            for (int i = 1; i <= 48; i++) {
                ECPoint p = P256.G.multiply(BigInteger.valueOf(i)).normalize();
                points.add(p);
                answers.add(pool.submit(() -> bound.deriveX("ek-sessions", p)));
            }
            for (int i = 0; i < points.size(); i++) {
                assertArrayEquals(P256.xBytes(points.get(i).multiply(s).normalize()), answers.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(3, inside.most.get(), "three sessions in use at once, and never more");
    }
}
