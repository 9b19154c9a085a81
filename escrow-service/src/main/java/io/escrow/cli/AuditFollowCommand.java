package io.escrow.cli;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import io.escrow.audit.SignedTreeHead;
import io.escrow.merkle.Frontier;
import io.escrow.merkle.MerkleTree;
import io.escrow.proto.v1.AuditEvent;
import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.GetConsistencyProofRequest;
import io.escrow.proto.v1.GetTreeHeadRequest;
import io.escrow.proto.v1.StreamAuditRequest;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * escrowctl audit follow: an overseer's monitor. Each new signed head is checked against the last
 * one it verified: same key and origin, a valid consistency proof, and the root recomputed here
 * from the new leaves on the right edge it keeps in its state file. Anything else is an alert.
 */
@Command(name = "follow", mixinStandardHelpOptions = true,
        header = "Monitor the audit log and alert on any inconsistency.",
        description = {"Monitor the audit log: poll for new signed tree heads, verify each against the last one verified",
                "(same key and origin, a consistency proof, and the root recomputed here from the new leaves), and keep",
                "that in --state. On any inconsistency it prints an ALERT line and exits 1. A first run replays the log",
                "from leaf 0. Serves its own Prometheus metrics with --metrics-port."})
final class AuditFollowCommand implements Callable<Integer> {
    @Mixin
    WitnessOptions witnesses = new WitnessOptions();

    @Option(names = "--witness-wait", defaultValue = "PT10S",
            description = "With --witness-quorum: how long to wait for the newest head to be cosigned, ISO-8601 (default: ${DEFAULT-VALUE}).")
    java.time.Duration witnessWait;

    @Option(names = "--state", defaultValue = "audit-follow.state",
            description = "The monitor's state: the pinned key, the last verified head and its tree edge (default: ${DEFAULT-VALUE}).")
    Path state;

    @Option(names = "--interval", defaultValue = "PT5S", description = "How often to ask for a new head, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--once", description = "Verify up to the current head, then exit (for cron jobs and scripts).")
    boolean once;

    @Option(names = "--metrics-port", description = "Serve Prometheus metrics on this port, at /metrics.")
    Integer metricsPort;

    @Mixin
    ClientChannels channels;

    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicLong verifiedSize = meters.gauge("escrow_monitor_verified_tree_size", new AtomicLong());
    private final AtomicLong verifiedAt = meters.gauge("escrow_monitor_last_verified_timestamp_seconds", new AtomicLong());
    private final Counter leaves = meters.counter("escrow_monitor_leaves_verified");
    private final Counter inconsistencies = meters.counter("escrow_monitor_inconsistencies");
    private final Counter pollErrors = meters.counter("escrow_monitor_poll_errors");

    @Override
    public Integer call() throws Exception {
        if (interval.isNegative() || interval.isZero()) {
            throw CliException.usage("--interval must be positive");
        }
        HttpServer metrics = metricsPort == null ? null : serveMetrics(metricsPort);
        ManagedChannel channel = channels.open(true);
        try {
            Optional<AuditHeads.State> saved = AuditHeads.State.load(state);
            Followed at = saved.map(s -> resume(channel, s)).orElse(null);
            while (true) {
                try {
                    at = poll(channel, at);
                } catch (StatusRuntimeException e) {
                    pollErrors.increment();
                    if (once) {
                        throw e;
                    }
                    System.err.println("escrowctl audit follow: " + CliErrors.describe(e.getStatus()) + "; trying again");
                }
                if (once) {
                    return 0;
                }
                Thread.sleep(interval.toMillis());
            }
        } catch (AuditHeads.Failure f) {
            inconsistencies.increment();
            System.out.println("ALERT: " + f.getMessage());
            return CliException.REFUSED;
        } finally {
            channel.shutdownNow();
            if (metrics != null) {
                metrics.stop(0);
            }
        }
    }

    /** The verified position: key, origin, size, root, and the tree's right edge at that size. */
    private record Followed(byte[] publicKey, String origin, long size, byte[] root, Frontier edge) {}

    /** The saved head, with its edge; a state file from audit verify has none, so the leaves are replayed once to rebuild it. */
    private Followed resume(ManagedChannel channel, AuditHeads.State s) {
        Frontier edge;
        if (s.edge().isPresent()) {
            edge = Frontier.resume(s.size(), s.edge().get());
        } else {
            System.err.printf("rebuilding the tree edge of the %,d leaves verified before%n", s.size());
            edge = new Frontier();
            append(channel, edge, s.size());
        }
        if (!Arrays.equals(edge.root(), s.root())) {
            throw new AuditHeads.Failure("the state file's tree edge does not give its own root: " + state + " is damaged");
        }
        return new Followed(s.publicKey(), s.origin(), s.size(), s.root(), edge);
    }

    private Followed poll(ManagedChannel channel, Followed at) throws Exception {
        var audit = AuditServiceGrpc.newBlockingStub(channel);
        var head = witnesses.witnessed(() -> audit.getTreeHead(GetTreeHeadRequest.getDefaultInstance()), witnessWait);
        byte[] spki = head.getPublicKey().toByteArray();
        if (at != null && !Arrays.equals(at.publicKey(), spki)) {
            throw new AuditHeads.Failure("the tree-head signing key changed from the one pinned in " + state);
        }
        SignedTreeHead.Parsed signed = AuditHeads.checkSigned(AuditHeads.publicKey(spki), head.getCheckpoint(), head.getSignature());
        if (at == null) {
            System.out.printf("pinning the log key (SHA-256 %s) and origin '%s'; replaying %,d leaves%n",
                    WarrantView.sha256Hex(spki), signed.origin(), signed.size());
            at = new Followed(spki, signed.origin(), 0, new Frontier().root(), new Frontier());
        }
        if (!at.origin().equals(signed.origin())) {
            throw new AuditHeads.Failure("the checkpoint origin changed from '" + at.origin() + "' to '" + signed.origin() + "'");
        }
        if (signed.size() < at.size()) {
            throw new AuditHeads.Failure("the log shrank from " + at.size() + " to " + signed.size() + " leaves");
        }
        if (signed.size() == at.size()) {
            if (!Arrays.equals(signed.root(), at.root())) {
                throw new AuditHeads.Failure("two different signed roots for " + at.size() + " leaves: a split view");
            }
            mark(at);
            return at;
        }
        if (at.size() > 0) {
            List<byte[]> proof = audit.getConsistencyProof(GetConsistencyProofRequest.newBuilder().setFirst(at.size())
                    .setSecond(signed.size()).build()).getHashesList().stream().map(ByteString::toByteArray).toList();
            if (!MerkleTree.verifyConsistency(at.size(), signed.size(), at.root(), signed.root(), proof)) {
                throw new AuditHeads.Failure("the head of " + signed.size() + " leaves is not consistent with the head of "
                        + at.size() + " verified before: a split view or rewritten history");
            }
        }
        Map<String, Integer> types = append(channel, at.edge(), signed.size());
        if (!Arrays.equals(at.edge().root(), signed.root())) {
            throw new AuditHeads.Failure("the leaves " + at.size() + ".." + (signed.size() - 1) + " the service streams do not give "
                    + "the root it signed for " + signed.size() + " leaves");
        }
        Followed next = new Followed(spki, signed.origin(), signed.size(), signed.root(), at.edge());
        new AuditHeads.State(signed.origin(), signed.size(), signed.root(), spki, head.getCheckpoint().toStringUtf8(),
                Optional.of(at.edge().edge())).save(state, "escrowctl audit follow: last verified tree head and its edge");
        System.out.printf("%s head of %,d leaves verified (+%,d: %s), root %s%n", Instant.now(), signed.size(),
                signed.size() - at.size(), types, Base64.getEncoder().encodeToString(signed.root()));
        mark(next);
        return next;
    }

    private void mark(Followed at) {
        verifiedSize.set(at.size());
        verifiedAt.set(Instant.now().getEpochSecond());
    }

    /** Streams leaves from the edge's size up to {@code size}, each checked and appended; returns the count per leaf type. */
    private Map<String, Integer> append(ManagedChannel channel, Frontier edge, long size) {
        Map<String, Integer> types = new TreeMap<>();
        if (edge.size() >= size) {
            return types;
        }
        Context.CancellableContext ctx = Context.current().withCancellation();
        try {
            ctx.run(() -> {
                Iterator<AuditEvent> it = AuditServiceGrpc.newBlockingStub(channel).streamAudit(
                        StreamAuditRequest.newBuilder().setFromIndex(edge.size()).setFollow(false).build());
                long reported = System.nanoTime();
                while (edge.size() < size && it.hasNext()) {
                    AuditEvent e = it.next();
                    if (e.getIndex() != edge.size()) {
                        throw new AuditHeads.Failure("expected leaf " + edge.size() + ", the stream sent " + e.getIndex());
                    }
                    byte[] leaf = e.getLeaf().toByteArray();
                    AuditHeads.checkHeader(e, leaf);
                    edge.append(leaf);
                    leaves.increment();
                    types.merge(e.getType(), 1, Integer::sum);
                    if (System.nanoTime() - reported > 5_000_000_000L) {
                        System.err.printf("  %,d / %,d leaves%n", edge.size(), size);
                        reported = System.nanoTime();
                    }
                }
            });
        } finally {
            ctx.cancel(null);
        }
        if (edge.size() < size) {
            throw new AuditHeads.Failure("the log ends at leaf " + edge.size() + " but a signed head covers " + size);
        }
        return types;
    }

    private HttpServer serveMetrics(int port) throws java.io.IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/metrics", exchange -> {
            byte[] body = meters.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.err.println("metrics on http://0.0.0.0:" + port + "/metrics");
        return server;
    }
}
