package io.escrow.witness;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The witness's HTTP face: {@code POST <prefix>/add-checkpoint} (c2sp.org/tlog-witness) and
 * {@code GET /metrics} (Prometheus). Every refusal is logged with its origin and reason.
 */
public final class WitnessHttp implements AutoCloseable {
    /** Largest request accepted: 63 proof lines and a note of many signatures. */
    static final int MAX_BODY = 64 * 1024;

    private final HttpServer server;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, AtomicLong> cosignedSize = new ConcurrentHashMap<>();
    private final PrintStream log;

    private WitnessHttp(HttpServer server, PrintStream log) {
        this.server = server;
        this.log = log;
    }

    /** Starts serving {@code witness}; {@code prefix} is the submission prefix ("" or "/path"). */
    public static WitnessHttp start(InetSocketAddress address, String prefix, WitnessFactory factory, PrintStream log)
            throws IOException {
        WitnessHttp http = new WitnessHttp(HttpServer.create(address, 64), log);
        Witness witness = factory.create(http::observe);
        witness.origins().forEach(http::gauge);
        http.server.createContext(prefix + "/add-checkpoint", ex -> http.addCheckpoint(witness, ex));
        http.server.createContext("/metrics", http::metrics);
        http.server.setExecutor(Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "witness-http");
            t.setDaemon(true);
            return t;
        }));
        http.server.start();
        return http;
    }

    /** Builds the witness once the observer that feeds these metrics exists. */
    @FunctionalInterface
    public interface WitnessFactory {
        Witness create(java.util.function.Consumer<Witness.Answer> observer);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void addCheckpoint(Witness witness, HttpExchange ex) throws IOException {
        try (ex) {
            if (!"POST".equals(ex.getRequestMethod())) {
                send(ex, 405, "text/plain; charset=utf-8", "add-checkpoint takes POST\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readNBytes(MAX_BODY + 1);
            }
            if (body.length > MAX_BODY) {
                observe(Witness.Answer.refused(413, null, "request larger than " + MAX_BODY + " bytes"));
                send(ex, 413, "text/plain; charset=utf-8", "request too large\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            Witness.Answer a;
            try {
                a = witness.addCheckpoint(body);
            } catch (RuntimeException e) {
                a = Witness.Answer.refused(500, null, "internal error: " + e.getMessage());
                observe(a);
            }
            send(ex, a.status(), a.contentType(), a.body());
        }
    }

    private void observe(Witness.Answer a) {
        String origin = a.origin() == null ? "" : a.origin();
        Counter.builder("escrow.witness.requests").description("add-checkpoint requests by origin and HTTP status")
                .tag("origin", origin).tag("status", Integer.toString(a.status())).register(meters).increment();
        if (a.ok()) {
            gauge(origin).set(a.size());
        } else {
            log.printf("%s witness: refused %d%s: %s%n", Instant.now(), a.status(), origin.isEmpty() ? "" : " for " + origin, a.reason());
        }
    }

    private AtomicLong gauge(String origin) {
        return cosignedSize.computeIfAbsent(origin, o -> {
            AtomicLong v = new AtomicLong();
            Gauge.builder("escrow.witness.cosigned.size", v, AtomicLong::get).description("Tree size last cosigned, per log")
                    .tag("origin", o).register(meters);
            return v;
        });
    }

    /** Seeds the cosigned-size gauge of {@code origin} from the stored state. */
    public void known(String origin, long size) {
        gauge(origin).set(size);
    }

    private void metrics(HttpExchange ex) throws IOException {
        try (ex) {
            send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", meters.scrape().getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
