package io.escrow.witness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.merkle.MemoryNodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The witness over real HTTP: the tlog-witness path and statuses, refusals logged, and metrics. */
class WitnessHttpTest {
    @TempDir
    Path dir;

    @Test
    void addCheckpoint_overHttp_cosigns_refuses_andCounts() throws Exception {
        WitnessTest.TestLogSigner log = new WitnessTest.TestLogSigner(WitnessTest.ORIGIN);
        KeyFileCosigner cosigner = KeyFileCosigner.generate("witness.example/w1", dir.resolve("key"));
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        MemoryNodes tree = new MemoryNodes();
        tree.appendLeaf(new byte[] {1});
        HttpClient client = HttpClient.newHttpClient();
        try (WitnessState state = WitnessState.open(dir.resolve("state"));
             WitnessHttp http = WitnessHttp.start(new InetSocketAddress("127.0.0.1", 0), "/w",
                     o -> new Witness(cosigner, List.of(log.key()), state, Clock.systemUTC(), o), new PrintStream(logged, true))) {
            URI add = URI.create("http://127.0.0.1:" + http.port() + "/w/add-checkpoint");
            byte[] body = new AddCheckpointRequest(0, List.of(), log.sign(1, tree.root())).encode();

            HttpResponse<String> ok = client.send(HttpRequest.newBuilder(add).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> conflict = client.send(HttpRequest.newBuilder(add).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> get = client.send(HttpRequest.newBuilder(add).GET().build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> huge = client.send(HttpRequest.newBuilder(add)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[WitnessHttp.MAX_BODY + 1])).build(), HttpResponse.BodyHandlers.ofString());
            String metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();

            assertEquals(200, ok.statusCode());
            assertTrue(ok.body().startsWith("\u2014 witness.example/w1 "), ok.body());
            assertEquals(409, conflict.statusCode());
            assertEquals("text/x.tlog.size", conflict.headers().firstValue("Content-Type").orElse(""));
            assertEquals("1\n", conflict.body());
            assertEquals(405, get.statusCode());
            assertEquals(413, huge.statusCode());
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("escrow_witness_cosigned_size{origin=\"" + WitnessTest.ORIGIN + "\"")
                    && l.endsWith(" 1.0")), metrics);
            assertTrue(metrics.contains("status=\"409\""), metrics);
            String lines = logged.toString(StandardCharsets.UTF_8);
            assertTrue(lines.contains("refused 409 for " + WitnessTest.ORIGIN), lines);
            assertTrue(lines.contains("refused 413"), lines);
        }
    }
}
