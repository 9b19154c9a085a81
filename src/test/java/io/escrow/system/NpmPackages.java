package io.escrow.system;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The Node packages a system test runs, installed from their committed lock file when missing. */
final class NpmPackages {
    private NpmPackages() {}

    /** npm ci in {@code dir}, unless every one of {@code packages} is already installed there (.ci/run installs them). */
    static synchronized void installOnce(Path dir, String... packages) throws Exception {
        boolean present = true;
        for (String p : packages) {
            present &= Files.isDirectory(dir.resolve("node_modules").resolve(p));
        }
        if (present) {
            return;
        }
        Process p = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("npm ci in " + dir + " failed (the npm registry is needed once): " + out);
        }
    }
}
