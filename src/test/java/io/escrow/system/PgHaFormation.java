package io.escrow.system;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The project's local pg_auto_failover formation (src/test/ha/pg-ha.sh): a monitor, a primary and a synchronous standby. */
final class PgHaFormation implements AutoCloseable {
    static final Path SCRIPT = ServiceProcess.REPO.resolve("src/test/ha/pg-ha.sh");

    final Path dir;

    private PgHaFormation(Path dir) {
        this.dir = dir;
    }

    static PgHaFormation start(Path dir) throws Exception {
        PgHaFormation f = new PgHaFormation(dir);
        f.run(300, "start", "--base-port", Integer.toString(freeRange(3)));
        return f;
    }

    /** The multi-host URL (targetServerType=primary) the service is given. */
    String jdbcUrl() throws Exception {
        return run(30, "jdbc").strip();
    }

    int primaryPort() throws Exception {
        return Integer.parseInt(run(60, "primary-port", "30").strip());
    }

    /** Kills the node's keeper and postmaster with SIGKILL, as if its machine died. */
    void killNode(int port) throws Exception {
        run(30, "kill-node", Integer.toString(port));
    }

    String state() throws Exception {
        return run(30, "state");
    }

    private String run(int timeoutSeconds, String command, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(SCRIPT.toString(), command, dir.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("pg-ha.sh " + command + " did not finish: " + out);
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("pg-ha.sh " + command + " failed (" + p.exitValue() + "): " + out);
        }
        // The script reports progress on stderr, merged here; the answer is the last line.
        String[] lines = out.strip().split("\n");
        return command.equals("state") ? out : lines[lines.length - 1];
    }

    @Override
    public void close() throws Exception {
        run(60, "stop");
    }

    /** The first of {@code n} consecutive free ports. */
    private static int freeRange(int n) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20_000 + new java.security.SecureRandom().nextInt(20_000);
            boolean free = true;
            for (int i = 0; i < n && free; i++) {
                try (ServerSocket s = new ServerSocket(base + i)) {
                    s.setReuseAddress(true);
                } catch (IOException taken) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IOException("no " + n + " consecutive free ports");
    }
}
