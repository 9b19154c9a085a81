package io.escrow.threshold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.keys.FileKeyRegistry;
import io.escrow.keys.UnknownKeyException;
import io.escrow.testing.TestTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ceremony's checks, its rollback, and the key registry it feeds. */
class KeyCeremonySoftHsmTest {
    private static final SecureRandom RNG = new SecureRandom();

    @Test
    void ceremony_reportsProgress_recordsKey_andRejectsTheSameKeyIdTwice(@TempDir Path dir) {
        List<Pkcs11ShareToken> tokens = TestTokens.open("cer-1", "cer-2");
        List<String> progress = new ArrayList<>();
        KeyRecord record = new KeyCeremony(RNG, Clock.systemUTC(), progress::add)
                .run("ek-cer", new ThresholdParameters(2, 2), tokens);
        assertTrue(progress.stream().anyMatch(p -> p.contains("verified in all 2 tokens")), progress.toString());
        var registry = new FileKeyRegistry(dir);
        registry.add(record);
        assertEquals(record.publicKey(), new FileKeyRegistry(dir).require("ek-cer").publicKey());
        assertThrows(KeyAlreadyExistsException.class,
                () -> new KeyCeremony(RNG, Clock.systemUTC(), m -> {}).run("ek-cer", new ThresholdParameters(2, 2), tokens));
        assertThrows(KeyAlreadyExistsException.class, () -> registry.add(record));
    }

    @Test
    void ceremony_withMismatchedCountsOrBadThreshold_failsBeforeTouchingTokens() {
        List<Pkcs11ShareToken> tokens = TestTokens.open("cer-1", "cer-2");
        var ceremony = new KeyCeremony(RNG, Clock.systemUTC(), m -> {});
        assertThrows(InvalidThresholdException.class, () -> ceremony.run("ek-x", new ThresholdParameters(2, 3), tokens));
        assertThrows(InvalidThresholdException.class, () -> ceremony.run("ek-x", new ThresholdParameters(3, 2), tokens));
        assertThrows(InvalidThresholdException.class, () -> ceremony.run("ek-x", new ThresholdParameters(1, 2), tokens));
        assertThrows(KeyId.InvalidKeyIdException.class, () -> ceremony.run("bad key id", new ThresholdParameters(2, 2), tokens));
        assertFalse(tokens.get(0).hasShare("ek-x"));
    }

    @Test
    void ceremony_whenATokenFailsMidway_rollsBackImportedShares() throws Exception {
        List<Pkcs11ShareToken> tokens = TestTokens.open("cer-1", "cer-2", "cer-3");
        Process p = new ProcessBuilder("softhsm2-util", "--delete-token", "--token", "cer-3").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        var e = assertThrows(CeremonyFailedException.class,
                () -> new KeyCeremony(RNG, Clock.systemUTC(), m -> {}).run("ek-rollback", new ThresholdParameters(2, 3), tokens));
        assertTrue(e.getMessage().contains("cer-3") && e.getMessage().contains("rolled back"), e.getMessage());
        assertFalse(tokens.get(0).hasShare("ek-rollback"));
        assertFalse(tokens.get(1).hasShare("ek-rollback"));
    }

    @Test
    void registry_withUnknownKeyId_failsWithNotFound(@TempDir Path dir) {
        var e = assertThrows(UnknownKeyException.class, () -> new FileKeyRegistry(dir).require("ek-nope"));
        assertEquals(io.escrow.error.EscrowException.Category.NOT_FOUND, e.category());
        assertTrue(e.getMessage().contains("ek-nope"));
    }

    @Test
    void registry_withTamperedRecord_refusesToLoad(@TempDir Path dir) throws Exception {
        List<Pkcs11ShareToken> tokens = TestTokens.open("cer-1", "cer-2");
        KeyRecord record = new KeyCeremony(RNG, Clock.systemUTC(), m -> {}).run("ek-tamper", new ThresholdParameters(2, 2), tokens);
        new FileKeyRegistry(dir).add(record);
        Path file = dir.resolve("ek-tamper.json");
        String json = Files.readString(file);
        String pk = org.bouncycastle.util.encoders.Hex.toHexString(record.publicKeyBytes());
        String other = org.bouncycastle.util.encoders.Hex.toHexString(P256.encodeUncompressed(P256.G));
        // Only the public_key field: with n=2 the share scale is 1 and C_0 has the same encoding.
        Files.writeString(file, json.replaceFirst("\"public_key\" : \"" + pk, "\"public_key\" : \"" + other));
        var e = assertThrows(java.io.UncheckedIOException.class, () -> new FileKeyRegistry(dir));
        assertTrue(e.getMessage().contains("commitments do not match the public key"), e.getMessage());
    }
}
