package io.escrow.testing;

import io.escrow.hsm.PinSource;
import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.hsm.TokenConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The real SoftHSM tokens provisioned for this test run by src/test/provision-test-tokens.sh.
 * Each test class owns its own labels, so tests never disturb each other's shares.
 */
public final class TestTokens {
    public static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");
    private static final Map<String, Pkcs11ShareToken> OPEN = new ConcurrentHashMap<>();

    private TestTokens() {}

    public static Path dataDir() {
        String d = System.getenv("ESCROW_TEST_DATA_DIR");
        if (d == null) {
            throw new IllegalStateException("ESCROW_TEST_DATA_DIR is not set; run the tests through Maven");
        }
        return Path.of(d);
    }

    public static Path hsmDir() {
        return dataDir().resolve("hsm");
    }

    public static Path pinFile(String label) {
        return hsmDir().resolve("pins").resolve(label + ".pin");
    }

    public static String pin(String label) {
        try {
            return Files.readString(pinFile(label)).strip();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static TokenConfig config(String label) {
        return new TokenConfig(label, LIBRARY, label, PinSource.file(pinFile(label)));
    }

    /** One logged-in token per label for the whole JVM (PKCS#11 login state is per process and slot). */
    public static Pkcs11ShareToken open(String label) {
        return OPEN.computeIfAbsent(label, l -> Pkcs11ShareToken.open(config(l)));
    }

    /** The token's objects as pkcs11-tool, an outside PKCS#11 client, lists them after logging in. */
    public static String pkcs11ToolObjects(String label) throws Exception {
        Process p = new ProcessBuilder("pkcs11-tool", "--module", LIBRARY.toString(), "--token-label", label, "--login",
                "--pin", pin(label), "--list-objects").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("pkcs11-tool --list-objects on " + label + " failed:\n" + out);
        }
        return out;
    }

    public static List<Pkcs11ShareToken> open(String... labels) {
        return java.util.Arrays.stream(labels).map(TestTokens::open).toList();
    }
}
