package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

/**
 * With every logger at DEBUG, JSON logs on and custodian consent required, the whole story
 * (ceremony, deposits, approvals, consents to the custodians' agents, recovery through them) runs,
 * and then the service's
 * log is searched for every secret involved: token PINs (as text and hex), the deposited session
 * keys, the demo signers' and custodians' private keys and the recipient's private key.
 */
class SecretsNotLoggedSystemTest {
    @Test
    void debugLogs_holdNoPinKeyOrSessionKey() throws Exception {
        Path dataDir = Files.createTempDirectory("escrow-logs-");
        Path log = dataDir.resolve("service.log");
        String demoOutput;
        // Consent required: the embedded agents log in to the tokens with the PIN files, in this process.
        try (ServiceProcess service = ServiceProcess.start(dataDir, log, Map.of(
                "QUARKUS_LOG_LEVEL", "DEBUG", "ESCROW_LOG_JSON", "true", "ESCROW_CUSTODIAN_CONSENT", "required"))) {
            var demo = ServiceProcess.escrowctl(dataDir, "demo", "--target", "localhost:" + service.grpcPort);
            assertEquals(0, demo.exit(), demo.output());
            demoOutput = demo.output();
        }
        String text = Files.readString(log);
        assertTrue(text.contains("\"level\":\"DEBUG\""), "DEBUG really was on");
        assertTrue(text.lines().filter(l -> l.startsWith("{")).count() > 100, "JSON log lines");

        List<String> secrets = new ArrayList<>();
        try (Stream<Path> pins = Files.list(dataDir.resolve("hsm/pins"))) {
            pins.forEach(p -> {
                String pin = read(p).strip();
                secrets.add(pin);
                secrets.add(Hex.toHexString(pin.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            });
        }
        Matcher keys = Pattern.compile("session key ([0-9a-f]{64})").matcher(demoOutput);
        while (keys.find()) {
            secrets.add(keys.group(1));
            secrets.add(Base64.getEncoder().encodeToString(Hex.decode(keys.group(1))));
        }
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.filter(p -> p.toString().endsWith(".key")).forEach(p -> secrets.add(pemBody(read(p))));
        }
        assertTrue(demoOutput.contains("consent to this warrant only"), "the demo activated custodians: " + demoOutput);
        assertTrue(secrets.size() >= 8 + 6 + 6, "found the secrets to look for: " + secrets.size());
        for (String s : secrets) {
            assertFalse(s.isEmpty());
            assertFalse(text.contains(s), "a secret appears in the DEBUG log: " + s.substring(0, Math.min(8, s.length())) + "...");
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The base64 body of a PEM private key, as one line (how it would appear if logged). */
    private static String pemBody(String pem) {
        return pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "").substring(0, 40);
    }
}
