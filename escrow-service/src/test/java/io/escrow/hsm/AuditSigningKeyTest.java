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
            java.lang.reflect.Field opened = AuditSigningKey.class.getDeclaredField("opened");
            opened.setAccessible(true);
            Object keys = opened.get(again);
            java.lang.reflect.Field f = keys.getClass().getDeclaredField("key");
            f.setAccessible(true);
            java.security.PrivateKey inToken = (java.security.PrivateKey) f.get(keys);
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

    /** The Ed25519 key is made once in the token, and the JDK's own Ed25519 verifies its signatures. */
    @Test
    void ed25519_generatesOnce_andJdkVerifiesItsSignatures() throws Exception {
        byte[] data = "example.com/log\n1\nAAAA\n".getBytes(StandardCharsets.UTF_8);
        byte[] raw;
        byte[] sig;
        try (AuditSigningKey k = AuditSigningKey.openOrCreate(config())) {
            raw = k.ed25519PublicKey();
            sig = k.signEd25519(data);
        }
        try (AuditSigningKey again = AuditSigningKey.openOrCreate(config())) {
            assertArrayEquals(raw, again.ed25519PublicKey(), "the same Ed25519 key is found, not a new one made");
            assertEquals(64, again.signEd25519(data).length);
        }
        assertTrue(io.escrow.testing.JdkEd25519.verify(raw, data, sig));
        assertFalse(io.escrow.testing.JdkEd25519.verify(raw, "other".getBytes(StandardCharsets.UTF_8), sig));
    }

    @Test
    void ed25519_keyIsSensitiveAndNotExtractable_asPkcs11ToolShowsIt() throws Exception {
        try (AuditSigningKey k = AuditSigningKey.openOrCreate(config())) {
            k.ed25519PublicKey();
        }
        Process p = new ProcessBuilder("pkcs11-tool", "--module", TestTokens.LIBRARY.toString(), "--token-label", "audit-test",
                "--login", "--pin", java.nio.file.Files.readString(TestTokens.hsmDir().resolve("pins").resolve("audit-test.pin")).strip(),
                "--list-objects", "--type", "privkey")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        int at = out.indexOf("label:      " + AuditSigningKey.ED25519_LABEL);
        assertTrue(at > 0, out);
        String block = out.substring(out.lastIndexOf("Private Key Object", at), Math.min(out.length(), at + 400));
        assertTrue(block.contains("sensitive") && block.contains("never extractable"), block);
    }
}
