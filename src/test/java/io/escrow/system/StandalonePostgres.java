package io.escrow.system;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One PostgreSQL 15 server from Debian's packages, run with pg_ctl (as the postgres user when
 * the tests run as root, since PostgreSQL refuses root), so a test can stop it, start it again,
 * or give it a data directory on a small filesystem.
 */
final class StandalonePostgres implements AutoCloseable {
    private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    final Path dataDir;
    final int port;

    private StandalonePostgres(Path dataDir, int port) {
        this.dataDir = dataDir;
        this.port = port;
    }

    /** initdb into {@code dataDir} (which must not exist yet or be empty) and start. */
    static StandalonePostgres create(Path dataDir) throws Exception {
        if (!Files.isExecutable(BIN.resolve("pg_ctl"))) {
            throw new AssertionError(BIN.resolve("pg_ctl") + " is missing: apt-get install postgresql-15");
        }
        Files.createDirectories(dataDir);
        if (root()) {
            run(30, "chown", "postgres:", dataDir.toString());
        }
        asPostgres(120, BIN.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", "postgres", "--auth=trust",
                "-E", "UTF8", "--wal-segsize=1");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.writeString(dataDir.resolve("postgresql.auto.conf"), "port = " + port + "\nlisten_addresses = '127.0.0.1'\n"
                + "unix_socket_directories = ''\nsynchronous_commit = on\nfsync = on\nmax_connections = 200\n"
                + "min_wal_size = 4MB\nmax_wal_size = 32MB\n", java.nio.file.StandardOpenOption.APPEND);
        StandalonePostgres pg = new StandalonePostgres(dataDir, port);
        pg.start();
        return pg;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    void start() throws Exception {
        asPostgres(120, BIN.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-l", dataDir.resolve("server.log").toString(), "-w", "-t", "100", "start");
    }

    /** Stops at once, without a checkpoint: the next start recovers from the WAL, as after a crash. */
    void stopImmediately() throws Exception {
        asPostgres(60, BIN.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "immediate", "-w", "stop");
    }

    boolean running() throws Exception {
        return runExit(30, command(BIN.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "status")) == 0;
    }

    @Override
    public void close() throws Exception {
        if (running()) {
            stopImmediately();
        }
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>();
        if (root()) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static void asPostgres(int timeoutSeconds, String... args) throws Exception {
        run(timeoutSeconds, command(args).toArray(String[]::new));
    }

    private static void run(int timeoutSeconds, String... args) throws Exception {
        Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", args) + " did not finish in " + timeoutSeconds + " s: " + out);
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", args) + " failed with " + p.exitValue() + ": " + out);
        }
    }

    private static int runExit(int timeoutSeconds, List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
        }
        return p.exitValue();
    }
}
