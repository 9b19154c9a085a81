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

    /** An agent with a witness quorum computes nothing under a checkpoint its witnesses did not cosign. */
    @Test
    void checkpoint_withoutTheWitnessQuorum_isRefused() throws Exception {
        TestLog log = new TestLog();
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("agent-witness-");
        io.escrow.witness.KeyFileCosigner w1 = io.escrow.witness.KeyFileCosigner.generate("w1.test", dir.resolve("w1"));
        io.escrow.witness.KeyFileCosigner w2 = io.escrow.witness.KeyFileCosigner.generate("w2.test", dir.resolve("w2"));
        LogEvidence needsTwo = new LogEvidence(log.pinned().logKey(), java.util.Optional.of(TestLog.ORIGIN), 0,
                new WitnessPolicy(java.util.List.of(w1.verifierKey(), w2.verifierKey()), 2));
        PageEvidence bare = log.page();
        String text = new String(bare.checkpoint(), StandardCharsets.UTF_8);
        io.escrow.note.NoteSignature logLine = new io.escrow.note.NoteSignature(TestLog.ORIGIN, 1, bare.checkpointSignature());
        long now = java.time.Instant.now().getEpochSecond();
        io.escrow.note.NoteSignature cosig1 = w1.cosign(bare.checkpoint(), now);
        io.escrow.note.NoteSignature cosig2 = w2.cosign(bare.checkpoint(), now);
        java.util.function.Function<java.util.List<io.escrow.note.NoteSignature>, PageEvidence> with = sigs ->
                new PageEvidence(bare.checkpoint(), bare.checkpointSignature(), bare.subjectSalt(),
                        io.escrow.note.SignedNote.of(text, sigs).encode());

        AgentRefusedException none = assertThrows(AgentRefusedException.class, () -> needsTwo.checkpoint(bare));
        assertTrue(none.getMessage().contains("not witnessed") && none.getMessage().contains("no cosignatures"), none.getMessage());
        AgentRefusedException one = assertThrows(AgentRefusedException.class,
                () -> needsTwo.checkpoint(with.apply(java.util.List.of(logLine, cosig1, cosig1))));
        assertTrue(one.getMessage().contains("from 1 of the 2"), one.getMessage());
        byte[] otherCheckpoint = text.replace(TestLog.ORIGIN, "x").getBytes(StandardCharsets.UTF_8);
        PageEvidence mismatched = new PageEvidence(bare.checkpoint(), bare.checkpointSignature(), bare.subjectSalt(),
                io.escrow.note.SignedNote.of(new String(otherCheckpoint, StandardCharsets.UTF_8), java.util.List.of(cosig1, cosig2)).encode());
        assertTrue(assertThrows(AgentRefusedException.class, () -> needsTwo.checkpoint(mismatched)).getMessage()
                .contains("another checkpoint"));
        PageEvidence garbage = new PageEvidence(bare.checkpoint(), bare.checkpointSignature(), bare.subjectSalt(), new byte[] {1, 2});
        assertTrue(assertThrows(AgentRefusedException.class, () -> needsTwo.checkpoint(garbage)).getMessage().contains("malformed"));

        assertEquals(TestLog.ORIGIN, needsTwo.checkpoint(with.apply(java.util.List.of(logLine, cosig1, cosig2))).origin());
        assertThrows(IllegalArgumentException.class, () -> new WitnessPolicy(java.util.List.of(w1.verifierKey()), 2));
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
