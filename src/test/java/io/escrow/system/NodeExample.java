package io.escrow.system;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs escrow-client/examples/node/deposit.mjs (@hpke/core, @grpc/grpc-js) as an outside party. */
final class NodeExample {
    static final Path DIR = ServiceProcess.REPO.resolve("escrow-client/examples/node");

    private NodeExample() {}

    /** Its standard output (one JSON line); fails the test with everything it printed when it fails. */
    static String run(String... args) throws Exception {
        NpmPackages.installOnce(DIR, "@hpke/core", "@grpc/grpc-js");
        List<String> cmd = new ArrayList<>(List.of("node", "deposit.mjs"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError("node deposit.mjs " + String.join(" ", args) + " failed: " + out);
        }
        return out.strip();
    }
}
