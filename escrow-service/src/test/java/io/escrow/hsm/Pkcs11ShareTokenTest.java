package io.escrow.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.testing.TestTokens;
import io.escrow.threshold.P256;
import io.escrow.threshold.SecretScalar;
import io.escrow.threshold.Shamir;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Constants;
import sun.security.pkcs11.wrapper.PKCS11Exception;

/** Opening tokens, their typed faults, and the non-extractability of imported shares. */
class Pkcs11ShareTokenTest {
    private static final SecureRandom RNG = new SecureRandom();

    @Test
    void open_withWrongPin_failsWithWrongPin() {
        var cfg = new TokenConfig("pin-1", TestTokens.LIBRARY, "pin-1", new PinSource.EnvPin("X", v -> "not-the-pin"));
        var e = assertThrows(HsmException.WrongPin.class, () -> Pkcs11ShareToken.open(cfg));
        assertTrue(e.getMessage().contains("pin-1") && e.getMessage().contains("rejected the PIN"), e.getMessage());
        assertFalse(e.getMessage().contains("not-the-pin"));
    }

    /** Every login to one token reuses its provider: a provider per login (per custodian activation) leaked native sessions. */
    @Test
    void open_sameTokenAgain_reusesItsProvider_andStillChecksThePin() {
        var cfg = new TokenConfig("pin-1", TestTokens.LIBRARY, "pin-1", PinSource.file(TestTokens.pinFile("pin-1")));
        java.security.Provider first;
        Pkcs11ShareToken a = Pkcs11ShareToken.open(cfg);
        first = a.provider();
        a.close();
        for (int i = 0; i < 20; i++) {
            Pkcs11ShareToken again = Pkcs11ShareToken.open(cfg);
            assertTrue(again.provider() == first, "login " + i + " made a new provider");
            again.close();
        }
        var wrong = new TokenConfig("pin-1", TestTokens.LIBRARY, "pin-1", new PinSource.EnvPin("X", v -> "not-the-pin"));
        assertThrows(HsmException.WrongPin.class, () -> Pkcs11ShareToken.open(wrong), "after a logout the PIN is checked again");
    }

    @Test
    void open_withMissingLibrary_failsWithMissingLibrary() {
        var cfg = new TokenConfig("c", Path.of("/nonexistent/libpkcs11.so"), "t5-1", PinSource.file(TestTokens.pinFile("t5-1")));
        var e = assertThrows(HsmException.MissingLibrary.class, () -> Pkcs11ShareToken.open(cfg));
        assertTrue(e.getMessage().contains("/nonexistent/libpkcs11.so"), e.getMessage());
    }

    @Test
    void open_withLibraryThatIsNotPkcs11_failsWithMissingLibrary() throws Exception {
        Path fake = Files.createTempFile("not-pkcs11", ".so");
        Files.writeString(fake, "not a shared object");
        var cfg = new TokenConfig("c", fake, "t5-1", PinSource.file(TestTokens.pinFile("t5-1")));
        assertThrows(HsmException.MissingLibrary.class, () -> Pkcs11ShareToken.open(cfg));
    }

    @Test
    void open_withUnknownLabel_failsWithTokenNotFound() {
        var cfg = new TokenConfig("custodian-9", TestTokens.LIBRARY, "no-such-token", PinSource.file(TestTokens.pinFile("t5-1")));
        var e = assertThrows(HsmException.TokenNotFound.class, () -> Pkcs11ShareToken.open(cfg));
        assertTrue(e.getMessage().contains("no-such-token") && e.getMessage().contains("custodian-9"), e.getMessage());
    }

    @Test
    void open_withMissingPinFileOrEnv_failsWithPinUnavailable() {
        var file = new TokenConfig("c", TestTokens.LIBRARY, "t5-1", PinSource.file(Path.of("/nonexistent/pin")));
        assertThrows(HsmException.PinUnavailable.class, () -> Pkcs11ShareToken.open(file));
        var env = new TokenConfig("c", TestTokens.LIBRARY, "t5-1", new PinSource.EnvPin("ESCROW_NO_SUCH_PIN", v -> null));
        assertThrows(HsmException.PinUnavailable.class, () -> Pkcs11ShareToken.open(env));
    }

    @Test
    void deriveX_forUnknownKeyId_namesCustodianAndKey() {
        var token = TestTokens.open("t5-1");
        var e = assertThrows(HsmException.class, () -> token.deriveX("ek-missing", P256.G));
        assertTrue(e.getMessage().contains("t5-1") && e.getMessage().contains("ek-missing"), e.getMessage());
    }

    @Test
    void importedShare_cannotBeReadOut_byJcaOrPkcs11AttributeRead() throws Exception {
        var token = TestTokens.open("sens-1");
        BigInteger s = Shamir.randomNonZeroScalar(RNG);
        ECPoint pub = P256.G.multiply(s).normalize();
        token.importShare("ek-sensitive", SecretScalar.of(s), pub);
        // The token computes with the share...
        assertTrue(java.util.Arrays.equals(P256.xBytes(pub), token.deriveX("ek-sensitive", P256.G)));

        // ...but JCA sees no encoding,
        KeyStore ks = KeyStore.getInstance("PKCS11", Pkcs11ShareTokenTestAccess.provider(token));
        ks.load(null, null);
        PrivateKey key = (PrivateKey) ks.getKey("ek-sensitive", null);
        assertNull(key.getEncoded());

        // ...and a raw PKCS#11 read of CKA_VALUE is refused, with the protective flags set.
        PKCS11 p11 = Pkcs11Slots.module("sens-1", TestTokens.LIBRARY);
        long slot = Pkcs11Slots.slotOf("sens-1", TestTokens.LIBRARY, "sens-1");
        long session = p11.C_OpenSession(slot, PKCS11Constants.CKF_SERIAL_SESSION, null, null);
        try {
            p11.C_FindObjectsInit(session, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(PKCS11Constants.CKA_CLASS, PKCS11Constants.CKO_PRIVATE_KEY)});
            long[] handles = p11.C_FindObjects(session, 10);
            p11.C_FindObjectsFinal(session);
            assertEquals(1, handles.length);
            CK_ATTRIBUTE[] value = {new CK_ATTRIBUTE(PKCS11Constants.CKA_VALUE)};
            PKCS11Exception refused = assertThrows(PKCS11Exception.class, () -> p11.C_GetAttributeValue(session, handles[0], value));
            assertTrue(refused.getMessage().contains("CKR_ATTRIBUTE_SENSITIVE"), refused.getMessage());
            CK_ATTRIBUTE[] flags = {
                new CK_ATTRIBUTE(PKCS11Constants.CKA_SENSITIVE), new CK_ATTRIBUTE(PKCS11Constants.CKA_EXTRACTABLE),
                new CK_ATTRIBUTE(PKCS11Constants.CKA_DERIVE), new CK_ATTRIBUTE(PKCS11Constants.CKA_SIGN)};
            p11.C_GetAttributeValue(session, handles[0], flags);
            assertTrue(flags[0].getBoolean(), "CKA_SENSITIVE");
            assertFalse(flags[1].getBoolean(), "CKA_EXTRACTABLE");
            assertTrue(flags[2].getBoolean(), "CKA_DERIVE");
            assertFalse(flags[3].getBoolean(), "CKA_SIGN");
        } finally {
            p11.C_CloseSession(session);
        }
    }

    @Test
    void importedShare_pkcs11ToolShowsSensitiveDeriveOnlyKey() throws Exception {
        var token = TestTokens.open("sens-1");
        if (!token.hasShare("ek-sensitive-2")) {
            BigInteger s = Shamir.randomNonZeroScalar(RNG);
            token.importShare("ek-sensitive-2", SecretScalar.of(s), P256.G.multiply(s).normalize());
        }
        List<String> cmd = new ArrayList<>(List.of("pkcs11-tool", "--module", TestTokens.LIBRARY.toString(),
                "--token-label", "sens-1", "--login", "--pin", TestTokens.pin("sens-1"), "--list-objects", "--type", "privkey"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        // SunPKCS11 stores the alias as the object's CKA_ID, which pkcs11-tool prints in hex.
        String id = org.bouncycastle.util.encoders.Hex.toHexString("ek-sensitive-2".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertTrue(out.contains(id), out);
        String block = out.substring(out.indexOf(id));
        String access = block.lines().filter(l -> l.strip().startsWith("Access:")).findFirst().orElseThrow();
        String usage = block.lines().filter(l -> l.strip().startsWith("Usage:")).findFirst().orElseThrow();
        assertTrue(access.contains("sensitive"), access);
        assertFalse(access.contains("extractable") && !access.contains("never extractable"), access);
        assertTrue(usage.contains("derive"), usage);
        assertFalse(usage.contains("sign"), usage);
    }

    @Test
    void deriveX_withOneKeyAgreementPerThread_matchesAcrossThreads() throws Exception {
        var token = TestTokens.open("t5-2");
        BigInteger s = Shamir.randomNonZeroScalar(RNG);
        if (!token.hasShare("ek-threads")) {
            token.importShare("ek-threads", SecretScalar.of(s), P256.G.multiply(s).normalize());
        } else {
            token.deleteShare("ek-threads");
            token.importShare("ek-threads", SecretScalar.of(s), P256.G.multiply(s).normalize());
        }
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 200; i++) {
                    BigInteger k = Shamir.randomNonZeroScalar(RNG);
                    ECPoint r = P256.G.multiply(k).normalize();
                    byte[] expected = P256.xBytes(r.multiply(s).normalize());
                    if (!java.util.Arrays.equals(expected, token.deriveX("ek-threads", r))) {
                        errors.add(new AssertionError("wrong ECDH result on " + Thread.currentThread()));
                    }
                }
            });
            th.start();
            threads.add(th);
        }
        for (Thread t : threads) {
            t.join();
        }
        assertTrue(errors.isEmpty(), errors.toString());
        assertInstanceOf(Pkcs11ShareToken.class, token);
    }
}
