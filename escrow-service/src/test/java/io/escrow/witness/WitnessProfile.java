package io.escrow.witness;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The embedded service with one witness (w1) on a loopback port, a quorum of 1 and a short
 * timeout. The test runs the witness itself (in process, over real HTTP), so it can stop and
 * restart it; its key file and port are made here, before the service reads its configuration.
 */
public class WitnessProfile implements QuarkusTestProfile {
    static final Path DIR;
    static final Path KEY_FILE;
    static final int PORT;
    static final String VKEY;

    // Quarkus loads this class twice (once to read the overrides, once in the application's class
    // loader), so both copies read the same directory, named by the process.
    static {
        try {
            DIR = Path.of(System.getProperty("java.io.tmpdir"), "escrow-witness-test-" + ProcessHandle.current().pid());
            KEY_FILE = DIR.resolve("w1.key");
            Path portFile = DIR.resolve("port");
            synchronized (System.class) {
                if (!Files.exists(portFile)) {
                    Files.createDirectories(DIR);
                    KeyFileCosigner.generate("witness.test/w1", KEY_FILE);
                    try (ServerSocket s = new ServerSocket(0)) {
                        Files.writeString(portFile, Integer.toString(s.getLocalPort()));
                    }
                }
            }
            VKEY = KeyFileCosigner.read(KEY_FILE).verifierKey().encode();
            PORT = Integer.parseInt(Files.readString(portFile).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("escrow.audit.witnesses.w1.url", "http://127.0.0.1:" + PORT + "/w1",
                "escrow.audit.witnesses.w1.key", VKEY,
                "escrow.audit.witness-quorum", "1",
                "escrow.audit.witness-timeout", "3s");
    }
}
