package io.escrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.hsm.Pkcs11Ed25519Key;
import io.escrow.hsm.PinSource;
import io.escrow.hsm.TokenConfig;
import io.escrow.note.NoteVerifier;
import io.escrow.note.SignedNote;
import io.escrow.note.VerifierKey;
import io.escrow.testing.TestTokens;
import io.escrow.witness.Pkcs11Cosigner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** escrowctl witness keygen: a key file of mode 0600, or a key made inside a real SoftHSM token. */
class WitnessCommandTest {
    @TempDir
    Path dir;

    private static String run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, EscrowCtl.execute(args), out.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8).strip();
    }

    @Test
    void keygen_keyFile_printsACosignatureVkey_andNeverOverwrites() throws Exception {
        Path key = dir.resolve("w.key");
        VerifierKey vkey = VerifierKey.parse(run("witness", "keygen", "--name", "witness.test/w1", "--key-file", key.toString()));

        assertEquals(VerifierKey.COSIGNATURE_V1, vkey.type());
        assertEquals("witness.test/w1", vkey.name());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertTrue(Files.readString(key).startsWith("PRIVATE+KEY+witness.test/w1+"));
        assertEquals(2, EscrowCtl.execute("witness", "keygen", "--name", "w", "--key-file", key.toString()), "never overwrites a key");
    }

    @Test
    void keygen_inToken_findsTheSameKeyAgain_andItsCosignaturesVerify() throws Exception {
        Path pin = TestTokens.hsmDir().resolve("pins").resolve("audit-test.pin");
        String[] args = {"witness", "keygen", "--name", "witness.test/hsm", "--pkcs11-library", TestTokens.LIBRARY.toString(),
                "--token-label", "audit-test", "--key-label", "witness-test-ed25519", "--pin-file", pin.toString()};
        VerifierKey first = VerifierKey.parse(run(args));
        VerifierKey again = VerifierKey.parse(run(args));
        assertEquals(first, again, "the key in the token is found, not made twice");

        Pkcs11Cosigner cosigner = new Pkcs11Cosigner("witness.test/hsm", Pkcs11Ed25519Key.open(
                new TokenConfig("audit-test", TestTokens.LIBRARY, "audit-test", PinSource.file(pin)), "witness-test-ed25519", false));
        String text = "example.com/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        SignedNote note = SignedNote.of(text, List.of(cosigner.cosign(text.getBytes(StandardCharsets.UTF_8), 1_700_000_000L)));
        assertEquals(1, NoteVerifier.validCosigners(note, List.of(first)));
    }

    @Test
    void serve_withBadOptions_isAUsageError() {
        Path key = dir.resolve("k");
        assertEquals(0, EscrowCtl.execute("witness", "keygen", "--name", "w", "--key-file", key.toString()));
        assertEquals(2, EscrowCtl.execute("witness", "serve", "--key-file", key.toString(), "--state-dir", dir.toString(),
                "--log", "not-a-vkey"));
        assertEquals(2, EscrowCtl.execute("witness", "serve", "--key-file", key.toString(), "--state-dir", dir.toString(),
                "--log", "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "--prefix", "nolead"));
        assertEquals(2, EscrowCtl.execute("witness", "serve", "--key-file", key.toString(), "--state-dir", dir.toString()));
    }
}
