package io.escrow.cli;

import com.google.protobuf.ByteString;
import io.escrow.audit.SignedTreeHead;
import io.escrow.merkle.FirstBadLeaf;
import io.escrow.merkle.MerkleHash;
import io.escrow.merkle.SparseNodes;
import io.escrow.merkle.MerkleTree;
import io.escrow.proto.v1.AuditEvent;
import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.GetConsistencyProofRequest;
import io.escrow.proto.v1.GetTreeHeadRequest;
import io.escrow.proto.v1.ListTreeHeadsRequest;
import io.escrow.proto.v1.StreamAuditRequest;
import io.grpc.ManagedChannel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.Iterator;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * escrowctl audit verify: replays the whole log, recomputes the RFC 9162 tree, checks every
 * published tree head's signature and root against the recomputed tree, and checks consistency
 * with the head it verified last time (kept in a state file). Any tampering (a changed,
 * reordered, missing or extra leaf) fails loudly with the first bad index.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        header = "Replay and verify the whole audit log against its signed tree heads.",
        description = {"Replay the audit log, recompute the Merkle tree, check every signed tree head and the",
                "consistency with the previously verified head. Exit 0: verified; 1: the log fails verification."})
final class AuditVerifyCommand implements Callable<Integer> {
    @Mixin
    ClientChannels channels;

    @Mixin
    WitnessOptions witnesses = new WitnessOptions();

    @Option(names = "--witness-wait", defaultValue = "PT10S",
            description = "With --witness-quorum: how long to wait for the newest head to be cosigned, ISO-8601 (default: ${DEFAULT-VALUE}).")
    java.time.Duration witnessWait;

    @Option(names = "--state", defaultValue = "audit-verify.state",
            description = "file with the last verified head and the pinned signing key (default: ${DEFAULT-VALUE})")
    Path state;

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;

    @Override
    public Integer call() throws Exception {
        ManagedChannel channel = channels.open(true);
        try {
            verify(channel, AuditServiceGrpc.newBlockingStub(channel));
            return 0;
        } catch (AuditHeads.Failure f) {
            err.println("AUDIT VERIFICATION FAILED: " + f.getMessage());
            return 1;
        } finally {
            channel.shutdownNow();
        }
    }

    private void verify(ManagedChannel channel, AuditServiceGrpc.AuditServiceBlockingStub audit) throws Exception {
        Optional<AuditHeads.State> previous = AuditHeads.State.load(state);
        var head = witnesses.witnessed(() -> audit.getTreeHead(GetTreeHeadRequest.getDefaultInstance()), witnessWait);
        byte[] spki = head.getPublicKey().toByteArray();
        if (previous.isPresent() && !Arrays.equals(previous.get().publicKey(), spki)) {
            throw new AuditHeads.Failure("the tree-head signing key changed since the last verification (pinned in " + state + ")");
        }
        PublicKey key = AuditHeads.publicKey(spki);
        SignedTreeHead.Parsed latest = AuditHeads.checkSigned(key, head.getCheckpoint(), head.getSignature());
        String origin = previous.map(AuditHeads.State::origin).orElse(null);
        if (origin != null && !origin.equals(latest.origin())) {
            throw new AuditHeads.Failure("the checkpoint origin changed from '" + origin + "' to '" + latest.origin() + "'");
        }

        // Every published head up to the latest one: signature checked now, root checked during the replay.
        TreeMap<Long, byte[]> roots = new TreeMap<>();
        Iterator<io.escrow.proto.v1.SignedTreeHead> heads = audit.listTreeHeads(ListTreeHeadsRequest.getDefaultInstance());
        while (heads.hasNext()) {
            var h = heads.next();
            if (!h.getPublicKey().equals(head.getPublicKey())) {
                throw new AuditHeads.Failure("a published tree head is signed by a different key");
            }
            SignedTreeHead.Parsed p = AuditHeads.checkSigned(key, h.getCheckpoint(), h.getSignature());
            if (p.size() <= latest.size()) {
                roots.put(p.size(), p.root());
            }
        }
        roots.put(latest.size(), latest.root());
        long previousSize = previous.map(AuditHeads.State::size).orElse(-1L);
        byte[] previousRoot = previous.map(AuditHeads.State::root).orElse(null);
        if (previousSize > latest.size()) {
            throw new AuditHeads.Failure("the log shrank: " + previousSize + " leaves were verified before, the newest head has "
                    + latest.size() + "; first missing index " + latest.size());
        }
        out.printf("verifying %,d leaves against %,d signed tree heads (origin %s)%n", latest.size(), roots.size(), latest.origin());

        Replay replay = new Replay(latest.size(), roots, previousSize, previousRoot);
        replay.run(channel);
        if (replay.failure != null) {
            AuditHeads.Failure f = replay.failure;
            if (replay.badRoot != null) {
                long bad = firstBadIndex(channel, audit, replay.tree, replay.badFrom, replay.tree.size(), replay.badRoot);
                throw new AuditHeads.Failure(f.getMessage() + "; first bad index " + bad);
            }
            throw f;
        }
        if (previousSize > 0) {
            List<byte[]> proof = audit.getConsistencyProof(GetConsistencyProofRequest.newBuilder().setFirst(previousSize)
                    .setSecond(latest.size()).build()).getHashesList().stream().map(ByteString::toByteArray).toList();
            if (!MerkleTree.verifyConsistency(previousSize, latest.size(), previousRoot, latest.root(), proof)) {
                throw new AuditHeads.Failure("the service's consistency proof from the previously verified size " + previousSize
                        + " to " + latest.size() + " does not verify");
            }
        }
        double secs = replay.seconds;
        save(latest, spki, head.getCheckpoint().toByteArray());
        out.printf("OK: %,d leaves and %,d signed tree heads verified in %.1f s (%,.0f leaves/s)%n", latest.size(), roots.size(),
                secs, latest.size() / Math.max(secs, 1e-9));
        out.printf("root %s at size %d; state saved to %s%n", Base64.getEncoder().encodeToString(latest.root()), latest.size(), state);
    }

    /**
     * Streams the log from index 0 and recomputes the tree. Each leaf is checked on the transport
     * thread as it arrives (no hand-off per message), with the client requesting in large chunks.
     */
    private final class Replay {
        private static final int CHUNK = 4096;
        /** About 0.25 bytes per leaf; a first bad index is found by fetching one block again. */
        final SparseNodes tree = new SparseNodes();
        private final long size;
        private final TreeMap<Long, byte[]> roots;
        private final long previousSize;
        private final byte[] previousRoot;
        private final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        volatile AuditHeads.Failure failure;
        /** When a signed root does not match: that root and the last size known to be intact. */
        volatile byte[] badRoot;
        volatile long badFrom;
        private long lastVerifiedHead;
        private long consumed;
        private final long start = System.nanoTime();
        private long lastReport = start;
        private long reportedSize;
        double seconds;

        Replay(long size, TreeMap<Long, byte[]> roots, long previousSize, byte[] previousRoot) {
            this.size = size;
            this.roots = roots;
            this.previousSize = previousSize;
            this.previousRoot = previousRoot;
        }

        void run(ManagedChannel channel) throws InterruptedException {
            if (size == 0) {
                return;
            }
            AuditServiceGrpc.newStub(channel).streamAudit(StreamAuditRequest.newBuilder().setFromIndex(0).build(),
                    new io.grpc.stub.ClientResponseObserver<StreamAuditRequest, AuditEvent>() {
                        private io.grpc.stub.ClientCallStreamObserver<StreamAuditRequest> call;

                        @Override
                        public void beforeStart(io.grpc.stub.ClientCallStreamObserver<StreamAuditRequest> requestStream) {
                            call = requestStream;
                            requestStream.disableAutoRequestWithInitial(2 * CHUNK);
                        }

                        @Override
                        public void onNext(AuditEvent e) {
                            if (failure != null || tree.size() >= size) {
                                return;
                            }
                            try {
                                accept(e);
                            } catch (AuditHeads.Failure f) {
                                failure = f;
                                call.cancel("verification failed", null);
                                done.countDown();
                                return;
                            }
                            if (tree.size() >= size) {
                                call.cancel("verified every leaf the newest head covers", null);
                                finish();
                            } else if (++consumed % CHUNK == 0) {
                                call.request(CHUNK);
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            if (done.getCount() > 0 && failure == null && tree.size() < size) {
                                failure = new AuditHeads.Failure("the audit stream failed at index " + tree.size() + ": " + t.getMessage());
                            }
                            done.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            if (failure == null && tree.size() < size) {
                                failure = new AuditHeads.Failure("the log ends at index " + tree.size() + " but a signed tree head covers "
                                        + size + " leaves: truncated; first missing index " + tree.size());
                            }
                            finish();
                        }
                    });
            done.await();
        }

        private void finish() {
            seconds = (System.nanoTime() - start) / 1e9;
            done.countDown();
        }

        private void accept(AuditEvent e) {
            long expected = tree.size();
            if (e.getIndex() != expected) {
                throw new AuditHeads.Failure("expected index " + expected + ", the stream sent " + e.getIndex()
                        + ": missing, duplicated or reordered entries; first bad index " + expected);
            }
            byte[] leaf = e.getLeaf().toByteArray();
            AuditHeads.checkHeader(e, leaf);
            tree.appendLeaf(leaf);
            long n = tree.size();
            byte[] signedRoot = roots.get(n);
            if (signedRoot != null) {
                if (!MessageDigest.isEqual(signedRoot, tree.root())) {
                    badRoot = signedRoot;
                    badFrom = lastVerifiedHead;
                    throw new AuditHeads.Failure("the leaves do not match the signed tree head of size " + n);
                }
                lastVerifiedHead = n;
            }
            if (n == previousSize && !MessageDigest.isEqual(previousRoot, tree.root())) {
                badRoot = previousRoot;
                badFrom = 0;
                throw new AuditHeads.Failure("the first " + previousSize + " leaves no longer match the head verified before: "
                        + "history was rewritten");
            }
            long now = System.nanoTime();
            if (now - lastReport > 1_000_000_000L) {
                err.printf("  %,d / %,d leaves (%,.0f leaves/s overall, %,.0f/s in the last second)%n", n, size,
                        n / ((now - start) / 1e9), (n - reportedSize) / ((now - lastReport) / 1e9));
                lastReport = now;
                reportedSize = n;
            }
        }
    }

    /**
     * Bisects for the first leaf that breaks the signed tree of {@code size}: a prefix of m leaves is
     * intact exactly when the service's consistency proof takes the recomputed root of m to the
     * signed root. {@code good} is a size known to be intact.
     */
    private static long firstBadIndex(ManagedChannel channel, AuditServiceGrpc.AuditServiceBlockingStub audit, SparseNodes tree,
                                      long good, long size, byte[] signedRoot) {
        try {
            return FirstBadLeaf.find(good, size, tree, start -> leafHashes(channel, start, SparseNodes.BLOCK), (m, root) -> {
                List<byte[]> proof = audit.getConsistencyProof(GetConsistencyProofRequest.newBuilder().setFirst(m).setSecond(size)
                        .build()).getHashesList().stream().map(ByteString::toByteArray).toList();
                return MerkleTree.verifyConsistency(m, size, root, signedRoot, proof);
            });
        } catch (RuntimeException e) {
            // The service stopped answering proofs or leaves: report the last size known intact.
            return good;
        }
    }

    /** The hashes of up to {@code count} leaves from {@code from} on, streamed again from the service. */
    private static List<byte[]> leafHashes(ManagedChannel channel, long from, int count) {
        List<byte[]> out = new java.util.ArrayList<>(count);
        io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
        try {
            call.run(() -> {
                Iterator<AuditEvent> it = AuditServiceGrpc.newBlockingStub(channel)
                        .streamAudit(StreamAuditRequest.newBuilder().setFromIndex(from).build());
                while (out.size() < count && it.hasNext()) {
                    AuditEvent e = it.next();
                    if (e.getIndex() != from + out.size()) {
                        break;
                    }
                    out.add(MerkleHash.leaf(e.getLeaf().toByteArray()));
                }
            });
        } finally {
            call.cancel(null);
        }
        return out;
    }

    private void save(SignedTreeHead.Parsed head, byte[] spki, byte[] checkpoint) throws Exception {
        new AuditHeads.State(head.origin(), head.size(), head.root(), spki, new String(checkpoint, StandardCharsets.UTF_8),
                Optional.empty()).save(state, "escrowctl audit verify: last verified tree head");
    }
}
