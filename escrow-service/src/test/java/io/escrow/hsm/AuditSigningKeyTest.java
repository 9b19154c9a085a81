package io.escrow.hsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.testing.TestTokens;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import org.junit.jupiter.api.Test;

/** The tree-head key lives in a real SoftHSM token (audit-test), is created once, and signs verifiable DER ECDSA. */
class AuditSigningKeyTest {
    private static TokenConfig config() {
        return new TokenConfig("audit-test", TestTokens.LIBRARY, "audit-test",
                PinSource.file(TestTokens.hsmDir().resolve("pins").resolve("audit-test.pin")));
    }

    @Test
    void openOrCreate_generatesOnce_andSignaturesVerifyWithTheSpki() throws Exception {
        byte[] spki;
        byte[] data = "origin\n1\nAAAA\n".getBytes(StandardCharsets.UTF_8);
        byte[] sig;
        try (AuditSigningKey k = AuditSigningKey.openOrCreate(config())) {
            spki = k.publicKeySpki();
            sig = k.sign(data);
        }
        try (AuditSigningKey again = AuditSigningKey.openOrCreate(config())) {
            assertArrayEquals(spki, again.publicKeySpki(), "the same key is found, not a new one made");
            java.lang.reflect.Field f = AuditSigningKey.class.getDeclaredField("key");
            f.setAccessible(true);
            java.security.PrivateKey inToken = (java.security.PrivateKey) f.get(again);
            assertEquals(null, inToken.getEncoded(), "the signing key is sensitive: its value never leaves the token");
        }
        PublicKey pub = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(pub);
        v.update(data);
        assertTrue(v.verify(sig));
        v.initVerify(pub);
        v.update("other".getBytes(StandardCharsets.UTF_8));
        assertFalse(v.verify(sig));
    }
}
