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
import java.util.concurrent.TimeUnit;

/** escrowctl witness serve, started from outside as its operator would run it. */
final class WitnessProcess implements AutoCloseable {
    final int port;
    final Path log;
    private final Process process;

    private WitnessProcess(int port, Path log, Process process) {
        this.port = port;
        this.log = log;
        this.process = process;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static WitnessProcess start(int port, Path keyFile, Path stateDir, List<String> logVkeys, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ServiceProcess.LAUNCHER.toString(), "witness", "serve",
                "--listen", "127.0.0.1:" + port, "--key-file", keyFile.toString(), "--state-dir", stateDir.toString()));
        logVkeys.forEach(k -> cmd.addAll(List.of("--log", k)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        WitnessProcess w = new WitnessProcess(port, log, p);
        w.awaitListening(Duration.ofSeconds(60));
        return w;
    }

    private void awaitListening(Duration timeout) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new AssertionError("the witness exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError("the witness did not listen within " + timeout + ":\n" + Files.readString(log));
    }

    /** POSTs an add-checkpoint body; returns the status and the body. */
    HttpResponse<String> addCheckpoint(byte[] body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/add-checkpoint"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** kill -9: nothing gets to flush or shut down. */
    void killHard() throws Exception {
        process.destroyForcibly().waitFor();
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
