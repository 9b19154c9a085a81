package io.escrow.cli;

import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.GetInclusionProofRequest;
import io.escrow.proto.v1.GetTreeHeadRequest;
import io.escrow.config.EscrowSettings;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * escrowctl load --scale: fills the database to each level in turn (resuming the fill) and
 * measures, at each, the five figures that must not grow with the data: DepositStream rate,
 * unary Deposit p99, the recovery rate of a subject with 10,000 records, GetInclusionProof p99
 * over the whole log, and the rate of a full {@code audit verify}. Prints one row per level and,
 * at the end, each figure at the last level as a ratio of the first. Each level is measured
 * after one round that is printed but not counted.
 */
final class ScaleLoad {
    /** One level's figures. */
    record Row(long leaves, double streamRate, double depositP99, double recoveryRate, double proofP99, double verifyRate) {}

    private final LoadCommand load;
    private final ManagedChannel channel;
    private final EscrowKey key;
    private final EscrowSettings settings;
    private final Path fillState;
    private final String target;

    ScaleLoad(LoadCommand load, ManagedChannel channel, EscrowKey key, EscrowSettings settings, Path fillState, String target) {
        this.load = load;
        this.channel = channel;
        this.key = key;
        this.settings = settings;
        this.fillState = fillState;
        this.target = target;
    }

    void run(List<Long> levels, int recoveryRecords) throws Exception {
        List<DepositRequest> pool = load.sealPool(key);
        String run = Long.toString(System.currentTimeMillis(), 36);
        AtomicLong seq = new AtomicLong();
        var blocking = io.escrow.proto.v1.EscrowServiceGrpc.newBlockingStub(channel);
        IntConsumer deposit = i -> blocking.deposit(pool.get(i % pool.size()).toBuilder()
                .setProviderRecordId("scale-" + run + "-" + seq.incrementAndGet()).build());
        List<Row> rows = new ArrayList<>();
        for (long level : levels) {
            new FillLoad(channel, key, fillState).run(level);
            // Every level gets one round that is not counted, so each is measured in the same state:
            // at the first, this process and a fresh service still run interpreted code; after a long
            // fill, the caches hold the newest rows and the fill's dirty pages are still being written.
            System.out.printf("scale: warming up at %,d deposits (not counted) ...%n", level);
            Row warmUp = measure(pool, run + "-w" + level, deposit, recoveryRecords);
            System.out.println(header());
            System.out.println(line(warmUp) + "  (warm-up, not counted)");
            System.out.printf("scale: measuring at %,d deposits filled ...%n", level);
            rows.add(measure(pool, run + "-s" + level, deposit, recoveryRecords));
            System.out.println(header());
            rows.forEach(r -> System.out.println(line(r)));
        }
        if (rows.size() > 1) {
            Row first = rows.get(0);
            Row last = rows.get(rows.size() - 1);
            System.out.printf("at %,d leaves / at %,d leaves (within 20%%: rates >= 0.80, latencies <= 1.20):%n",
                    last.leaves(), first.leaves());
            ratio("DepositStream rate", last.streamRate() / first.streamRate(), true);
            ratio("unary Deposit p99", last.depositP99() / first.depositP99(), false);
            ratio("recovery rate, " + recoveryRecords + " records", last.recoveryRate() / first.recoveryRate(), true);
            ratio("GetInclusionProof p99", last.proofP99() / first.proofP99(), false);
            ratio("audit verify rate", last.verifyRate() / first.verifyRate(), true);
        }
    }

    private Row measure(List<DepositRequest> pool, String run, IntConsumer deposit, int recoveryRecords) throws Exception {
        double stream = load.stream(channel, pool, run);
        LoadCommand.Result unary = load.unary(deposit, 1);
        double recovery = RecoveryLoad.timedRecovery(channel, settings, key, recoveryRecords);
        long size = treeSize();
        var audit = AuditServiceGrpc.newBlockingStub(channel);
        LoadCommand.Result proofs = load.unary(i -> audit.getInclusionProof(GetInclusionProofRequest.newBuilder()
                .setIndex(ThreadLocalRandom.current().nextLong(size)).setTreeSize(size).build()), 1);
        double verify = verifyRate();
        return new Row(treeSize(), stream, unary.p99Millis(), recovery, proofs.p99Millis(), verify);
    }

    private static void ratio(String what, double r, boolean rate) {
        boolean met = rate ? r >= 0.8 : r <= 1.2;
        System.out.printf("  %-36s %6.2f  %s%n", what, r, met ? "within 20%" : "NOT within 20%");
    }

    static String header() {
        return String.format("%14s %16s %18s %18s %20s %18s", "leaves", "stream rec/s", "Deposit p99 ms", "recovery rec/s",
                "InclusionProof p99", "verify leaves/s");
    }

    static String line(Row r) {
        return String.format("%,14d %,16.0f %18.2f %,18.0f %17.2f ms %,18.0f", r.leaves(), r.streamRate(), r.depositP99(),
                r.recoveryRate(), r.proofP99(), r.verifyRate());
    }

    /** The size of the newest signed tree head, once it covers everything deposited so far. */
    private long treeSize() throws InterruptedException {
        var audit = AuditServiceGrpc.newBlockingStub(channel);
        long previous = -1;
        while (true) {
            String body = audit.getTreeHead(GetTreeHeadRequest.getDefaultInstance()).getCheckpoint().toString(StandardCharsets.UTF_8);
            long size = Long.parseLong(body.split("\n")[1]);
            if (size == previous) {
                return size;
            }
            previous = size;
            // Heads are published about every second while leaves arrive; two equal in a row mean caught up.
            Thread.sleep(2_000);
        }
    }

    /** A full audit verify from an empty state, in leaves per second. */
    private double verifyRate() throws Exception {
        Path state = Files.createTempFile("scale-verify", ".state");
        Files.delete(state);
        try {
            long start = System.nanoTime();
            int exit = EscrowCtl.execute("audit", "verify", "--target", target, "--state", state.toString());
            double seconds = (System.nanoTime() - start) / 1e9;
            if (exit != 0) {
                throw new IllegalStateException("audit verify failed (exit " + exit + ") during the scale run");
            }
            return treeSize() / seconds;
        } finally {
            Files.deleteIfExists(state);
        }
    }
}
