package io.escrow.threshold;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.testing.TestTokens;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Threshold decapsulation across real SoftHSM custodian tokens. */
class ThresholdDecryptorSoftHsmTest {
    private static final SecureRandom RNG = new SecureRandom();
    private static final Hpke HPKE = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);
    private static final byte[] INFO = "escrow/v1/deposit/k".getBytes(StandardCharsets.UTF_8);
    private static final byte[] AAD = "subject\n1\n2".getBytes(StandardCharsets.UTF_8);
    private static final ThresholdDecryptor DECRYPTOR = new ThresholdDecryptor(HpkeSuite.P256_SHA256_AES256GCM);

    private static List<Pkcs11ShareToken> five;
    private static KeyRecord k23;
    private static KeyRecord k35;

    @BeforeAll
    static void ceremonies() {
        five = TestTokens.open("t5-1", "t5-2", "t5-3", "t5-4", "t5-5");
        KeyCeremony ceremony = new KeyCeremony(RNG, Clock.systemUTC(), m -> {});
        k23 = ceremony.run("k23", new ThresholdParameters(2, 3), five.subList(0, 3));
        k35 = ceremony.run("k35", new ThresholdParameters(3, 5), five);
    }

    private static Hpke.Sealed seal(KeyRecord key, byte[] pt) {
        return HPKE.seal(key.publicKeyBytes(), INFO, AAD, pt, RNG);
    }

    private static byte[] randomKey() {
        byte[] k = new byte[32];
        RNG.nextBytes(k);
        return k;
    }

    @Test
    void open_withEveryTSubset_decrypts_2of3_and_3of5() {
        for (KeyRecord key : List.of(k23, k35)) {
            List<Pkcs11ShareToken> tokens = five.subList(0, key.parameters().custodians());
            List<List<Pkcs11ShareToken>> subsets = subsets(tokens, key.threshold());
            assertEquals(key.threshold() == 2 ? 3 : 10, subsets.size());
            for (List<Pkcs11ShareToken> subset : subsets) {
                byte[] pt = randomKey();
                Hpke.Sealed s = seal(key, pt);
                var opening = DECRYPTOR.open(key, subset, s.enc(), INFO, AAD, s.ciphertext());
                assertArrayEquals(pt, opening.plaintext(), "subset " + subset);
                assertEquals(subset.stream().map(Pkcs11ShareToken::custodianId).toList(), opening.custodiansUsed());
            }
        }
    }

    /**
     * AES-GCM is not key-committing: a record crafted so that its tag verifies under both sign
     * candidates of a 2-of-3 subset would open to two different session keys. It is refused.
     */
    @Test
    void open_recordThatOpensUnderTwoCandidates_isRejected() throws Exception {
        List<Pkcs11ShareToken> tokens = five.subList(0, 2);
        Hpke.KeyPair ephemeral = Hpke.generateKeyPair(RNG);
        int[] indices = new int[2];
        ECPoint[] terms = new ECPoint[2];
        BigInteger[] c;
        for (int i = 0; i < 2; i++) {
            indices[i] = k23.shareOf(tokens.get(i).custodianId()).orElseThrow().index();
        }
        c = Lagrange.integerCoefficients(indices, k23.scale());
        for (int i = 0; i < 2; i++) {
            ECPoint partial = P256.liftX(tokens.get(i).deriveX(k23.keyId(), ephemeral.publicKey()));
            terms[i] = ThresholdDecryptor.smallMultiple(partial, c[i].abs());
        }
        byte[] dhPlus = P256.xBytes(terms[0].add(terms[1]).normalize());
        byte[] dhMinus = P256.xBytes(terms[0].subtract(terms[1]).normalize());
        byte[] enc = ephemeral.publicKeyBytes();
        byte[] crafted = io.escrow.hpke.TwoKeyCiphertext.craft(HPKE, dhPlus, dhMinus, enc, k23.publicKeyBytes(), INFO, AAD);
        byte[] one = HPKE.openWithDhOrNull(dhPlus, enc, k23.publicKeyBytes(), INFO, AAD, crafted);
        byte[] other = HPKE.openWithDhOrNull(dhMinus, enc, k23.publicKeyBytes(), INFO, AAD, crafted);
        assertTrue(one != null && other != null, "the crafted record opens under both candidates");
        assertNotEquals(new BigInteger(1, one), new BigInteger(1, other), "to different session keys");

        var e = assertThrows(CiphertextRejectedException.class, () -> DECRYPTOR.open(k23, tokens, enc, INFO, AAD, crafted));
        assertTrue(e.getMessage().contains("opens under more than one key"), e.getMessage());
    }

    @Test
    void open_withTMinusOneCustodians_failsNamingTheMissing() {
        for (KeyRecord key : List.of(k23, k35)) {
            List<Pkcs11ShareToken> tokens = five.subList(0, key.parameters().custodians());
            for (List<Pkcs11ShareToken> subset : subsets(tokens, key.threshold() - 1)) {
                Hpke.Sealed s = seal(key, randomKey());
                var e = assertThrows(InsufficientCustodiansException.class,
                        () -> DECRYPTOR.open(key, subset, s.enc(), INFO, AAD, s.ciphertext()));
                assertEquals(io.escrow.error.EscrowException.Category.UNAVAILABLE, e.category());
                for (Pkcs11ShareToken missing : tokens) {
                    if (!subset.contains(missing)) {
                        assertTrue(e.getMessage().contains(missing.custodianId() + " (not available)"), e.getMessage());
                    }
                }
            }
        }
    }

    @Test
    void open_withMoreThanTAvailable_usesExactlyT() {
        byte[] pt = randomKey();
        Hpke.Sealed s = seal(k35, pt);
        var opening = DECRYPTOR.open(k35, five, s.enc(), INFO, AAD, s.ciphertext());
        assertArrayEquals(pt, opening.plaintext());
        assertEquals(3, opening.custodiansUsed().size());
        assertTrue(opening.faults().isEmpty());
    }

    @Test
    void open_withOffCurveOrIdentityEnc_rejectsBeforeAnyToken() {
        Hpke.Sealed s = seal(k23, randomKey());
        byte[] offCurve = s.enc().clone();
        offCurve[64] ^= 1;
        var e = assertThrows(InvalidPointException.class, () -> DECRYPTOR.open(k23, five, offCurve, INFO, AAD, s.ciphertext()));
        assertTrue(e.getMessage().startsWith("enc:"), e.getMessage());
        byte[] identity = new byte[65];
        identity[0] = 4;
        assertThrows(InvalidPointException.class, () -> DECRYPTOR.open(k23, five, identity, INFO, AAD, s.ciphertext()));
        assertThrows(InvalidPointException.class, () -> DECRYPTOR.open(k23, five, new byte[33], INFO, AAD, s.ciphertext()));
    }

    @Test
    void open_withTruncatedCiphertext_isRejected() {
        Hpke.Sealed s = seal(k23, randomKey());
        byte[] truncated = java.util.Arrays.copyOf(s.ciphertext(), 16);
        var e = assertThrows(CiphertextRejectedException.class, () -> DECRYPTOR.open(k23, five, s.enc(), INFO, AAD, truncated));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        byte[] shorter = java.util.Arrays.copyOf(s.ciphertext(), s.ciphertext().length - 1);
        assertThrows(CiphertextRejectedException.class, () -> DECRYPTOR.open(k23, five, s.enc(), INFO, AAD, shorter));
    }

    @Test
    void open_withTamperedCiphertextOrWrongAad_isRejected() {
        Hpke.Sealed s = seal(k35, randomKey());
        byte[] tampered = s.ciphertext().clone();
        tampered[3] ^= 0x40;
        var e = assertThrows(CiphertextRejectedException.class, () -> DECRYPTOR.open(k35, five, s.enc(), INFO, AAD, tampered));
        assertTrue(e.getMessage().contains("authentication failed"), e.getMessage());
        assertThrows(CiphertextRejectedException.class,
                () -> DECRYPTOR.open(k35, five, s.enc(), INFO, "other\n1\n2".getBytes(StandardCharsets.UTF_8), s.ciphertext()));
        // Sealed to another key: the enc is a valid point, but nothing opens.
        Hpke.Sealed other = seal(k23, randomKey());
        assertThrows(CiphertextRejectedException.class, () -> DECRYPTOR.open(k35, five, other.enc(), INFO, AAD, other.ciphertext()));
    }

    @Test
    void publicShares_neverEqualThePublicKey_andVerifyAgainstCommitments() {
        for (KeyRecord key : List.of(k23, k35)) {
            for (CustodianShare s : key.shares()) {
                assertNotEquals(key.publicKey(), s.publicShare());
                assertTrue(key.commitments().verifyPublicShare(s.index(), s.publicShare()));
            }
            assertEquals(key.publicKey(), key.commitments().constantTerm().multiply(key.scale()).normalize());
        }
    }

    @Test
    void rotation_newKeyId_andOldKeysStayDecryptable() {
        KeyRecord rotated = new KeyCeremony(RNG, Clock.systemUTC(), m -> {})
                .run("k23-rotated", new ThresholdParameters(2, 3), five.subList(0, 3));
        assertNotEquals(k23.publicKey(), rotated.publicKey());
        for (KeyRecord key : List.of(k23, rotated)) {
            byte[] pt = randomKey();
            Hpke.Sealed s = seal(key, pt);
            assertArrayEquals(pt, DECRYPTOR.open(key, five.subList(0, 3), s.enc(), INFO, AAD, s.ciphertext()).plaintext());
        }
        // A record for the old key does not open under the new one.
        Hpke.Sealed old = seal(k23, randomKey());
        assertThrows(CiphertextRejectedException.class,
                () -> DECRYPTOR.open(rotated, five.subList(0, 3), old.enc(), INFO, AAD, old.ciphertext()));
    }

    @Test
    void open_withTokenRemovedMidRun_keepsWorkingWithTheRemainingT() throws Exception {
        List<Pkcs11ShareToken> rm = TestTokens.open("rm-1", "rm-2", "rm-3");
        KeyRecord key = new KeyCeremony(RNG, Clock.systemUTC(), m -> {}).run("krm", new ThresholdParameters(2, 3), rm);
        List<Pkcs11ShareToken> preferRm2 = List.of(rm.get(1), rm.get(0), rm.get(2));
        for (int i = 0; i < 5; i++) {
            byte[] pt = randomKey();
            Hpke.Sealed s = seal(key, pt);
            var opening = DECRYPTOR.open(key, preferRm2, s.enc(), INFO, AAD, s.ciphertext());
            assertArrayEquals(pt, opening.plaintext());
            assertTrue(opening.custodiansUsed().contains("rm-2"));
        }
        Process p = new ProcessBuilder("softhsm2-util", "--delete-token", "--token", "rm-2").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        for (int i = 0; i < 5; i++) {
            byte[] pt = randomKey();
            Hpke.Sealed s = seal(key, pt);
            var opening = DECRYPTOR.open(key, preferRm2, s.enc(), INFO, AAD, s.ciphertext());
            assertArrayEquals(pt, opening.plaintext());
            assertEquals(List.of("rm-1", "rm-3"), opening.custodiansUsed());
            assertEquals("rm-2", opening.faults().get(0).custodianId(), opening.faults().toString());
        }
        // With a second custodian gone, recovery must stop, naming both.
        var e = assertThrows(InsufficientCustodiansException.class, () -> {
            Hpke.Sealed s = seal(key, randomKey());
            DECRYPTOR.open(key, List.of(rm.get(1), rm.get(2)), s.enc(), INFO, AAD, s.ciphertext());
        });
        assertTrue(e.getMessage().contains("rm-2") && e.getMessage().contains("rm-1 (not available)"), e.getMessage());
    }

    @Test
    void open_withInconsistentCustodian_namesItAndUsesAnother() {
        List<Pkcs11ShareToken> inc = TestTokens.open("inc-1", "inc-2", "inc-3");
        KeyRecord key = new KeyCeremony(RNG, Clock.systemUTC(), m -> {}).run("kinc", new ThresholdParameters(2, 3), inc);
        // Replace inc-1's share with an unrelated scalar, as a swapped or corrupted token would hold.
        inc.get(0).deleteShare("kinc");
        BigInteger wrong = Shamir.randomNonZeroScalar(RNG);
        inc.get(0).importShare("kinc", SecretScalar.of(wrong), P256.G.multiply(wrong).normalize());
        byte[] pt = randomKey();
        Hpke.Sealed s = seal(key, pt);
        var opening = DECRYPTOR.open(key, inc, s.enc(), INFO, AAD, s.ciphertext());
        assertArrayEquals(pt, opening.plaintext());
        assertEquals(List.of("inc-3", "inc-2"), opening.custodiansUsed());
        assertEquals(List.of(new CustodianFault("inc-1", "answered inconsistently with the other custodians")), opening.faults());
        // With only the bad custodian and one good one, the service cannot tell them apart, and says so.
        var e = assertThrows(CiphertextRejectedException.class,
                () -> DECRYPTOR.open(key, inc.subList(0, 2), s.enc(), INFO, AAD, s.ciphertext()));
        assertTrue(e.getMessage().contains("no spare custodian"), e.getMessage());
    }

    static <T> List<List<T>> subsets(List<T> items, int k) {
        List<List<T>> out = new ArrayList<>();
        collect(items, k, 0, new ArrayList<>(), out);
        return out;
    }

    private static <T> void collect(List<T> items, int k, int start, List<T> acc, List<List<T>> out) {
        if (acc.size() == k) {
            out.add(List.copyOf(acc));
            return;
        }
        for (int i = start; i < items.size(); i++) {
            acc.add(items.get(i));
            collect(items, k, i + 1, acc, out);
            acc.remove(acc.size() - 1);
        }
    }
}
