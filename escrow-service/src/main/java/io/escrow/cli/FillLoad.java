package io.escrow.cli;

import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code escrowctl load --fill N}: fills a database with N valid deposits over DepositStreams, for
 * scale benchmarks. Deposit i goes to stream i mod 4 and is sealed from a pool made from a seed
 * kept in a state file, so a stopped fill resumes where each stream's receipts ended: what was
 * sent but not acknowledged is sent again, byte for byte, and the service answers it as a replay.
 * Benchmark data only: its session keys come from a seeded generator.
 */
final class FillLoad {
    static final int STREAMS = 4;
    private static final int POOL = 512;
    /** Unacknowledged requests per stream; below the service's stream window (4,096). */
    private static final int IN_FLIGHT = 2048;
    private static final long PROGRESS_MILLIS = 5_000;

    private final Channel channel;
    private final EscrowKey key;
    private final Path stateFile;

    FillLoad(Channel channel, EscrowKey key, Path stateFile) {
        this.channel = channel;
        this.key = key;
        this.stateFile = stateFile;
    }

    void run(long total) throws Exception {
        FillState state = FillState.loadOrCreate(stateFile, key.getKeyId());
        List<DepositRequest> pool = pool(state.seed());
        String prefix = "fill-" + HexFormat.of().formatHex(state.seed(), 0, 6) + "-";
        long start = System.nanoTime();
        long already = Math.min(state.acknowledged(), total);
        System.out.printf("fill: %,d deposits to %s over %d DepositStreams, %,d already acknowledged (state %s)%n",
                total, key.getKeyId(), STREAMS, already, stateFile);
        AtomicLong[] next = new AtomicLong[STREAMS];
        List<CompletableFuture<Void>> streams = new ArrayList<>();
        // A thread per stream: the common pool may have a single thread on a small machine.
        java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(STREAMS, r -> {
            Thread t = new Thread(r, "fill-sender");
            t.setDaemon(true);
            return t;
        });
        for (int s = 0; s < STREAMS; s++) {
            next[s] = new AtomicLong(state.next()[s]);
            AtomicLong position = next[s];
            streams.add(CompletableFuture.runAsync(() -> stream(position, total, pool, prefix), senders));
        }
        senders.shutdown();
        CompletableFuture<Void> all = CompletableFuture.allOf(streams.toArray(CompletableFuture[]::new));
        long lastCount = already;
        long lastTime = start;
        while (true) {
            boolean finished = waitFor(all, PROGRESS_MILLIS);
            FillState now = new FillState(state.seed(), snapshot(next));
            now.save(stateFile, key.getKeyId());
            long done = Math.min(now.acknowledged(), total);
            long t = System.nanoTime();
            double rate = (done - lastCount) / ((t - lastTime) / 1e9);
            double eta = rate > 0 ? (total - done) / rate : Double.NaN;
            System.out.printf("fill: %,d of %,d (%.1f%%), %,.0f deposits/s, about %s left%n", done, total, 100.0 * done / total, rate,
                    Double.isNaN(eta) ? "?" : Math.round(eta) + " s");
            lastCount = done;
            lastTime = t;
            if (finished) {
                break;
            }
        }
        try {
            all.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw CliException.refused("fill stopped: " + CliErrors.describe(e.getCause()).line() + "; what was acknowledged is kept in "
                    + stateFile + ": run the same command again to resume");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("fill: done, %,d deposits acknowledged (%,d this run) in %.1f s, %,.0f deposits/s%n", total,
                total - already, seconds, (total - already) / seconds);
    }

    /** Sends one stream's indexes (next, next + 4, ... below total); next advances with each receipt, in order. */
    private void stream(AtomicLong next, long total, List<DepositRequest> pool, String prefix) {
        Semaphore window = new Semaphore(IN_FLIGHT);
        CompletableFuture<Void> closed = new CompletableFuture<>();
        StreamObserver<DepositRequest> requests = EscrowServiceGrpc.newStub(channel).depositStream(new StreamObserver<>() {
            @Override
            public void onNext(DepositReceipt receipt) {
                next.addAndGet(STREAMS);
                window.release();
            }

            @Override
            public void onError(Throwable t) {
                closed.completeExceptionally(t);
                window.release(IN_FLIGHT); // wake the sender
            }

            @Override
            public void onCompleted() {
                closed.complete(null);
            }
        });
        try {
            for (long i = next.get(); i < total && !closed.isDone(); i += STREAMS) {
                window.acquire();
                if (closed.isDone()) {
                    break;
                }
                requests.onNext(pool.get((int) (i % POOL)).toBuilder().setProviderRecordId(prefix + i).build());
            }
            requests.onCompleted();
            closed.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            requests.onError(e);
            throw new IllegalStateException(e);
        }
    }

    /** The seeded pool: 512 deposits for 512 subjects, the same bytes on every run of this fill. */
    private List<DepositRequest> pool(byte[] seed) throws NoSuchAlgorithmException {
        SecureRandom rng = SecureRandom.getInstance("SHA1PRNG");
        rng.setSeed(seed); // before any output: SHA1PRNG is then deterministic
        List<DepositRequest> out = new ArrayList<>(POOL);
        for (int i = 0; i < POOL; i++) {
            byte[] sessionKey = new byte[32];
            rng.nextBytes(sessionKey);
            long from = 1_700_000_000L + 3600L * i;
            out.add(SealedDeposits.seal(key, "fill-subject-" + i, from, from + 3600, sessionKey, rng).build());
        }
        return out;
    }

    private static long[] snapshot(AtomicLong[] next) {
        long[] out = new long[STREAMS];
        for (int s = 0; s < STREAMS; s++) {
            out[s] = next[s].get();
        }
        return out;
    }

    private static boolean waitFor(CompletableFuture<Void> f, long millis) throws InterruptedException {
        try {
            f.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException notYet) {
            return false;
        } catch (java.util.concurrent.ExecutionException failed) {
            return true;
        }
    }
}
