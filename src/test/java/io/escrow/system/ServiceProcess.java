package io.escrow.system;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged service, started from outside through escrow-service/bin/escrowctl serve. */
final class ServiceProcess implements AutoCloseable {
    static final Path REPO = Path.of(System.getProperty("escrow.repo.root", "../..")).toAbsolutePath().normalize();
    static final Path LAUNCHER = REPO.resolve("escrow-service/bin/escrowctl");

    final Path dataDir;
    final int grpcPort;
    final int httpPort;
    final Path log;
    private final Process process;

    private ServiceProcess(Path dataDir, int grpcPort, int httpPort, Path log, Process process) {
        this.dataDir = dataDir;
        this.grpcPort = grpcPort;
        this.httpPort = httpPort;
        this.log = log;
        this.process = process;
    }

    static ServiceProcess start(Path dataDir, Path log) throws Exception {
        return start(dataDir, log, Map.of());
    }

    static ServiceProcess start(Path dataDir, Path log, Map<String, String> extraEnv) throws Exception {
        ServiceProcess s = launch(dataDir, log, extraEnv);
        s.awaitReady(Duration.ofSeconds(120));
        return s;
    }

    /** Starts the process without waiting; call {@link #awaitReady}. */
    static ServiceProcess launch(Path dataDir, Path log, Map<String, String> extraEnv) throws Exception {
        return launch(dataDir, log, extraEnv, freePort(), freePort());
    }

    /** A restart on the ports {@code before} listened on, so that clients holding its address reconnect to it. */
    static ServiceProcess restart(ServiceProcess before, Path log) throws Exception {
        ServiceProcess s = launch(before.dataDir, log, Map.of(), before.grpcPort, before.httpPort);
        s.awaitReady(Duration.ofSeconds(120));
        return s;
    }

    private static ServiceProcess launch(Path dataDir, Path log, Map<String, String> extraEnv, int grpc, int http) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString(), "serve")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(Map.of("ESCROW_DATA_DIR", dataDir.toString(),
                "ESCROW_GRPC_PORT", Integer.toString(grpc), "QUARKUS_HTTP_PORT", Integer.toString(http)));
        pb.environment().remove("SOFTHSM2_CONF");
        pb.environment().putAll(extraEnv);
        return new ServiceProcess(dataDir, grpc, http, log, pb.start());
    }

    /** Runs an escrowctl command against the same data directory; returns exit code and output. */
    static Result escrowctl(Path dataDir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ESCROW_DATA_DIR", dataDir.toString());
        pb.environment().remove("SOFTHSM2_CONF");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("escrowctl " + String.join(" ", args) + " did not finish: " + out);
        }
        return new Result(p.exitValue(), out);
    }

    record Result(int exit, String output) {}

    /** The embedded PostgreSQL's JDBC URL, read from the service's log. */
    String embeddedJdbcUrl() throws IOException {
        var m = java.util.regex.Pattern.compile("embedded PostgreSQL in \\S+ \\(port (\\d+)\\)").matcher(logText());
        if (!m.find()) {
            throw new AssertionError("no embedded PostgreSQL port in the log");
        }
        return "jdbc:postgresql://localhost:" + m.group(1) + "/postgres?user=postgres";
    }

    String logText() throws IOException {
        return Files.readString(log);
    }

    void awaitReady(Duration timeout) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI ready = URI.create("http://localhost:" + httpPort + "/q/health/ready");
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new AssertionError("service exited with " + process.exitValue() + ":\n" + logText());
            }
            try {
                if (http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // The HTTP server is not listening yet.
            }
            Thread.sleep(250);
        }
        close();
        throw new AssertionError("service was not ready within " + timeout + ":\n" + logText());
    }

    /** Waits for the process to end by itself; false if it still runs after {@code timeout}. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** kill -9 of the service JVM only: its embedded PostgreSQL is left running as an orphan. */
    void killJvmOnly() throws Exception {
        process.destroyForcibly().waitFor();
    }

    /** kill -9 of the service JVM and of its embedded PostgreSQL: nothing gets to flush or shut down. */
    void killHard() throws Exception {
        process.destroyForcibly().waitFor();
        Process pkill = new ProcessBuilder("pkill", "-9", "-f", "bin/postgres -D " + dataDir.resolve("postgres")).start();
        pkill.waitFor();
        // No pause before the next start: the killed postmaster may still be a zombie then, and
        // the service must start anyway (LeftoverPostmaster).
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
