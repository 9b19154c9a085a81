package io.escrow.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.testing.TestTokens;
import io.escrow.threshold.KeyCeremony;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.P256;
import io.escrow.threshold.Shamir;
import io.escrow.threshold.ThresholdParameters;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A page's ECDHs on several sessions of a real SoftHSM token give what one session gives, in order. */
class PageDeriverTest {
    private static final SecureRandom RNG = new SecureRandom();
    private static List<Pkcs11ShareToken> tokens;
    private static KeyRecord key;

    @BeforeAll
    static void ceremony() {
        tokens = TestTokens.open("t5-4", "t5-5");
        key = new KeyCeremony(RNG, Clock.systemUTC(), m -> {}).run("pd-" + Long.toHexString(RNG.nextLong()),
                new ThresholdParameters(2, 2), tokens);
    }

    /** The share goes; the tokens stay open: login state is per process and slot, shared with other tests' tokens. */
    @AfterAll
    static void deleteShares() {
        for (Pkcs11ShareToken t : tokens) {
            t.deleteShare(key.keyId());
        }
    }

    @Test
    void derive_onEightSessions_equalsOneSession_inPageOrder() {
        List<ECPoint> points = new ArrayList<>();
        for (int i = 0; i < 61; i++) {
            points.add(P256.G.multiply(Shamir.randomNonZeroScalar(RNG)).normalize());
        }
        List<String> keyIds = Collections.nCopies(points.size(), key.keyId());
        try (PageDeriver one = new PageDeriver(tokens.get(0), 1); PageDeriver eight = new PageDeriver(tokens.get(0), 8)) {
            List<byte[]> expected = one.derive(keyIds, points);
            List<byte[]> parallel = eight.derive(keyIds, points);
            assertEquals(points.size(), parallel.size());
            for (int i = 0; i < points.size(); i++) {
                assertArrayEquals(expected.get(i), parallel.get(i), "record " + i);
            }
        }
    }

    @Test
    void derive_whenOneRecordFails_failsThePage_withTheTokensError() {
        List<ECPoint> points = List.of(P256.G, P256.G.twice().normalize(), P256.G.multiply(java.math.BigInteger.valueOf(3)).normalize());
        List<String> keyIds = List.of(key.keyId(), "no-such-key", key.keyId());
        try (PageDeriver deriver = new PageDeriver(tokens.get(0), 3)) {
            RuntimeException viaPool = assertThrows(RuntimeException.class, () -> deriver.derive(keyIds, points));
            RuntimeException direct = assertThrows(RuntimeException.class, () -> tokens.get(0).deriveX("no-such-key", points.get(1)));
            assertEquals(direct.getClass(), viaPool.getClass(), viaPool.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> new PageDeriver(tokens.get(0), 0));
        assertThrows(IllegalArgumentException.class, () -> new PageDeriver(tokens.get(0), PageDeriver.MAX_SESSIONS + 1));
    }
}
