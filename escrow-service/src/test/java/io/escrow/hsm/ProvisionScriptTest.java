package io.escrow.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * hsm-config/provision-softhsm.sh, run as a separate process (it never loads the PKCS#11 library
 * into this JVM, so it cannot disturb the tokens of the other tests).
 */
class ProvisionScriptTest {
    private static final Path SCRIPT = Path.of("../hsm-config/provision-softhsm.sh").toAbsolutePath().normalize();

    record Result(int exit, String output) {}

    private static Result run(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", SCRIPT.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        return new Result(p.waitFor(), out);
    }

    /** Content of every file except SoftHSM's own generation counters and the lock file. */
    private static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = dir.relativize(f).toString();
                if (name.endsWith("/generation") || name.endsWith(".provision.lock")) {
                    continue;
                }
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
                out.put(name, HexFormat.of().formatHex(digest));
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    @Test
    void provision_twice_changesNothing_andPinsAreOwnerOnly(@TempDir Path dir) throws Exception {
        Result first = run(Map.of(), "--dir", dir.toString(), "--custodians", "2");
        assertEquals(0, first.exit(), first.output());
        assertTrue(first.output().contains("3 tokens ready") && first.output().contains("(3 new)"), first.output());
        Map<String, String> before = snapshot(dir);
        Result second = run(Map.of(), "--dir", dir.toString(), "--custodians", "2");
        assertEquals(0, second.exit(), second.output());
        assertTrue(second.output().contains("(0 new)"), second.output());
        assertEquals(before, snapshot(dir));
        for (String label : List.of("custodian-1", "custodian-2", "audit")) {
            Path pin = dir.resolve("pins").resolve(label + ".pin");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pin)));
            assertEquals(32, Files.readString(pin).strip().length());
        }
        assertTrue(Files.readString(dir.resolve("softhsm2.conf")).contains(dir.resolve("tokens").toString()));
    }

    @Test
    void provision_withoutSoftHsmAsNonRoot_printsInstallInstruction(@TempDir Path dir) throws Exception {
        Path fakeBin = Files.createDirectories(dir.resolve("bin"));
        Path fakeId = fakeBin.resolve("id");
        Files.writeString(fakeId, "#!/bin/sh\necho 1000\n");
        fakeId.toFile().setExecutable(true);
        Result r = run(Map.of("PATH", fakeBin + ":" + System.getenv("PATH"), "SOFTHSM2_UTIL", "/nonexistent/softhsm2-util"),
                "--dir", dir.resolve("hsm").toString());
        assertEquals(3, r.exit(), r.output());
        assertTrue(r.output().contains("apt-get install -y softhsm2 opensc"), r.output());
    }

    @Test
    void provision_withBadArguments_failsClearly(@TempDir Path dir) throws Exception {
        Result noDir = run(Map.of());
        assertEquals(2, noDir.exit());
        assertTrue(noDir.output().contains("--dir is required"), noDir.output());
        Result tooMany = run(Map.of(), "--dir", dir.toString(), "--custodians", "17");
        assertEquals(2, tooMany.exit());
        Result badLabel = run(Map.of(), "--dir", dir.toString(), "--custodians", "0", "--token", "bad label!");
        assertEquals(2, badLabel.exit());
        assertTrue(badLabel.output().contains("token label"), badLabel.output());
    }

    @Test
    void provision_whenPinFileOutlivesItsToken_refusesToGuess(@TempDir Path dir) throws Exception {
        assertEquals(0, run(Map.of(), "--dir", dir.toString(), "--custodians", "1", "--no-audit").exit());
        ProcessBuilder p = new ProcessBuilder("softhsm2-util", "--delete-token", "--token", "custodian-1").redirectErrorStream(true);
        p.environment().put("SOFTHSM2_CONF", dir.resolve("softhsm2.conf").toString());
        Process proc = p.start();
        proc.getInputStream().readAllBytes();
        assertEquals(0, proc.waitFor());
        Result r = run(Map.of(), "--dir", dir.toString(), "--custodians", "1", "--no-audit");
        assertEquals(2, r.exit(), r.output());
        assertTrue(r.output().contains("token 'custodian-1' is gone"), r.output());
    }
}
