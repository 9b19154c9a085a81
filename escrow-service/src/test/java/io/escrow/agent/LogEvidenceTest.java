package io.escrow.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.config.ConfigurationException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class LogEvidenceTest {
    @Test
    void readKey_takesDerOrPemSubjectPublicKeyInfo() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        PublicKey key = g.generateKeyPair().getPublic();
        assertArrayEquals(key.getEncoded(), LogEvidence.readKey(key.getEncoded()).getEncoded());
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(key.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        assertArrayEquals(key.getEncoded(), LogEvidence.readKey(pem.getBytes(StandardCharsets.US_ASCII)).getEncoded());
    }

    @Test
    void readKey_ofAnythingButAP256Key_fails() throws Exception {
        ConfigurationException garbage = assertThrows(ConfigurationException.class,
                () -> LogEvidence.readKey("not a key".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(garbage.getMessage().contains("not a P-256 SubjectPublicKeyInfo"), garbage.getMessage());
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp384r1"));
        byte[] p384 = g.generateKeyPair().getPublic().getEncoded();
        assertThrows(ConfigurationException.class, () -> LogEvidence.readKey(p384));
    }

    @Test
    void checkpoint_withAnotherOrigin_isRefused() {
        TestLog log = new TestLog();
        LogEvidence pinsOtherOrigin = new LogEvidence(log.pinned().logKey(), java.util.Optional.of("other/log"), 0);
        AgentRefusedException e = assertThrows(AgentRefusedException.class, () -> pinsOtherOrigin.checkpoint(log.page()));
        assertTrue(e.getMessage().contains("not 'other/log'"), e.getMessage());
        assertEquals(TestLog.ORIGIN, log.pinned().checkpoint(log.page()).origin());
    }
}
