package io.escrow.note;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerifierKeyTest {

    @Test
    void parse_encode_roundTripsPublicKeys() {
        for (String vkey : List.of(NoteVectors.line("peter-neumann.vkey"), NoteVectors.line("remora.vkey"),
                "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")) {
            assertEquals(vkey, VerifierKey.parse(vkey).encode());
        }
    }

    @Test
    void parse_manglings_fail() {
        String vkey = NoteVectors.line("peter-neumann.vkey");
        for (int i = 0; i < vkey.length(); i++) {
            char[] c = vkey.toCharArray();
            c[i] = (char) (c[i] + 1);
            String mangled = new String(c);
            if (!mangled.equals(vkey)) {
                assertThrows(NoteFormatException.class, () -> VerifierKey.parse(mangled), mangled);
            }
        }
        for (String bad : List.of("PeterNeumann+c74f20a3", "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
                "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "x+00000000+Bw==")) {
            assertThrows(NoteFormatException.class, () -> VerifierKey.parse(bad), bad);
        }
    }

    @Test
    void ecdsa_keyIdIsTheSpkiHash_andVerifiesJdkSignatures() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = g.generateKeyPair();
        byte[] spki = kp.getPublic().getEncoded();
        VerifierKey key = VerifierKey.ecdsa("example.com/log", spki);
        byte[] text = "example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n".getBytes(StandardCharsets.UTF_8);
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(kp.getPrivate());
        s.update(text);
        NoteSignature sig = new NoteSignature("example.com/log", key.keyId(), s.sign());

        assertEquals(java.nio.ByteBuffer.wrap(VerifierKey.sha256(spki)).getInt(), key.keyId());
        assertTrue(key.verifies(text, sig));
        assertFalse(key.verifies(Arrays.copyOf(text, text.length - 1), sig));
        assertEquals(key, VerifierKey.parse(key.encode()));
    }

    @Test
    void ecdsa_otherCurve_fails() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp384r1"));
        byte[] spki = g.generateKeyPair().getPublic().getEncoded();

        assertThrows(NoteFormatException.class, () -> VerifierKey.ecdsa("log", spki));
    }

    @Test
    void ed25519_invalidPoint_fails() {
        byte[] notOnCurve = new byte[32];
        notOnCurve[0] = 2;
        Arrays.fill(notOnCurve, 1, 32, (byte) 0xff);

        assertThrows(NoteFormatException.class, () -> VerifierKey.cosignature("w", notOnCurve));
    }
}
