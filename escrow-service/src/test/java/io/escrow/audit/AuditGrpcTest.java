package io.escrow.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.escrow.merkle.MemoryNodes;
import io.escrow.merkle.MerkleHash;
import io.escrow.merkle.MerkleTree;
import io.escrow.proto.v1.AuditEvent;
import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.GetConsistencyProofRequest;
import io.escrow.proto.v1.GetInclusionProofRequest;
import io.escrow.proto.v1.GetTreeHeadRequest;
import io.escrow.proto.v1.StreamAuditRequest;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.proto.v1.GetWarrantRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** AuditService through a real gRPC client: stream, signed heads and proofs, checked against a tree recomputed here. */
@QuarkusTest
class AuditGrpcTest {
    @GrpcClient("escrow")
    AuditServiceGrpc.AuditServiceBlockingStub audit;

    @GrpcClient("escrow")
    WarrantServiceGrpc.WarrantServiceBlockingStub warrants;

    @GrpcClient("escrow")
    io.grpc.Channel channel;

    /** Appends n leaves: each refused filing is audited (warrant_filing_rejected). */
    private void appendSomeLeaves(int n) {
        for (int i = 0; i < n; i++) {
            assertThrows(StatusRuntimeException.class, () -> warrants.fileWarrant(
                    io.escrow.proto.v1.FileWarrantRequest.getDefaultInstance()));
        }
    }

    private List<AuditEvent> streamAll(long from, long until) {
        List<AuditEvent> out = new ArrayList<>();
        Iterator<AuditEvent> it = audit.streamAudit(StreamAuditRequest.newBuilder().setFromIndex(from).build());
        while (it.hasNext()) {
            AuditEvent e = it.next();
            if (e.getIndex() < until) {
                out.add(e);
            }
        }
        return out;
    }

    @Test
    void treeHead_isSignedByTheAuditToken_andMatchesTheStreamedLeaves() throws Exception {
        appendSomeLeaves(3);
        var head = audit.getTreeHead(GetTreeHeadRequest.getDefaultInstance());
        SignedTreeHead.Parsed cp = SignedTreeHead.parse(head.getCheckpoint().toByteArray());
        assertEquals("lawful-access-escrow/audit/v1", cp.origin());
        assertTrue(cp.size() >= 3);
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(head.getPublicKey().toByteArray())));
        v.update(head.getCheckpoint().toByteArray());
        assertTrue(v.verify(head.getSignature().toByteArray()), "signature over the exact checkpoint bytes");

        MemoryNodes mine = new MemoryNodes();
        List<AuditEvent> events = streamAll(0, cp.size());
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i, events.get(i).getIndex(), "no gaps, no duplicates");
            mine.appendLeaf(events.get(i).getLeaf().toByteArray());
        }
        assertEquals(cp.size(), mine.size());
        assertArrayEquals(cp.root(), mine.root());
    }

    /** The note carries the contract's ECDSA signature (type 0x02) and an in-token Ed25519 signature (type 0x01), both verifiable from the vkeys. */
    @Test
    void treeHead_note_isSignedByBothLogKeys() throws Exception {
        appendSomeLeaves(2);
        var head = audit.getTreeHead(GetTreeHeadRequest.getDefaultInstance());
        io.escrow.note.SignedNote note = io.escrow.note.SignedNote.parse(head.getNote().toByteArray());
        List<io.escrow.note.VerifierKey> keys = head.getLogVkeysList().stream().map(io.escrow.note.VerifierKey::parse).toList();

        assertEquals(head.getCheckpoint().toStringUtf8(), note.text());
        assertEquals(2, keys.size());
        assertEquals(io.escrow.note.VerifierKey.ECDSA, keys.get(0).type());
        assertEquals(io.escrow.note.VerifierKey.ED25519, keys.get(1).type());
        assertEquals("lawful-access-escrow/audit/v1", keys.get(1).name());
        assertArrayEquals(head.getPublicKey().toByteArray(), keys.get(0).publicKey(), "the ECDSA vkey is the contract's key");
        assertEquals(java.util.Set.copyOf(keys), io.escrow.note.NoteVerifier.signers(note, keys));
        assertTrue(io.escrow.testing.JdkEd25519.verify(keys.get(1).publicKey(), head.getCheckpoint().toByteArray(),
                note.signatures().get(1).signature()), "the JDK's Ed25519 verifies the log's Ed25519 line");
    }

    @Test
    void proofs_forRandomSizes_verifyAgainstRecomputedRoots() {
        appendSomeLeaves(20);
        long size = SignedTreeHead.parse(audit.getTreeHead(GetTreeHeadRequest.getDefaultInstance()).getCheckpoint().toByteArray()).size();
        MemoryNodes mine = new MemoryNodes();
        List<AuditEvent> events = streamAll(0, size);
        events.forEach(e -> mine.appendLeaf(e.getLeaf().toByteArray()));
        Random rnd = new Random(42);
        for (int trial = 0; trial < 40; trial++) {
            long n = 1 + rnd.nextInt((int) size);
            long index = rnd.nextInt((int) n);
            List<byte[]> path = hashes(audit.getInclusionProof(GetInclusionProofRequest.newBuilder().setIndex(index).setTreeSize(n).build()).getHashesList());
            assertTrue(MerkleTree.verifyInclusion(MerkleHash.leaf(events.get((int) index).getLeaf().toByteArray()), index, n, path,
                    MerkleTree.root(mine, n)), index + " in " + n);
            long m = 1 + rnd.nextInt((int) n);
            List<byte[]> cons = hashes(audit.getConsistencyProof(GetConsistencyProofRequest.newBuilder().setFirst(m).setSecond(n).build()).getHashesList());
            assertTrue(MerkleTree.verifyConsistency(m, n, MerkleTree.root(mine, m), MerkleTree.root(mine, n), cons), m + " -> " + n);
        }
    }

    @Test
    void proofs_outsideTheLog_areInvalidArgument() {
        long size = SignedTreeHead.parse(audit.getTreeHead(GetTreeHeadRequest.getDefaultInstance()).getCheckpoint().toByteArray()).size();
        for (Runnable r : List.<Runnable>of(
                () -> audit.getInclusionProof(GetInclusionProofRequest.newBuilder().setIndex(size).setTreeSize(size).build()),
                () -> audit.getInclusionProof(GetInclusionProofRequest.newBuilder().setIndex(0).setTreeSize(size + 1_000_000).build()),
                () -> audit.getConsistencyProof(GetConsistencyProofRequest.newBuilder().setFirst(size).setSecond(size - 1).build()),
                () -> audit.getInclusionProof(GetInclusionProofRequest.newBuilder().setIndex(-1L).setTreeSize(size).build()),
                () -> audit.streamAudit(StreamAuditRequest.newBuilder().setFromIndex(-1L).build()).hasNext())) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, r::run);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        }
    }

    @Test
    void streamAudit_resumesExactly_andFollowsLiveAppends() throws Exception {
        appendSomeLeaves(5);
        long size = SignedTreeHead.parse(audit.getTreeHead(GetTreeHeadRequest.getDefaultInstance()).getCheckpoint().toByteArray()).size();
        List<AuditEvent> tail = streamAll(size - 3, Long.MAX_VALUE);
        assertEquals(size - 3, tail.get(0).getIndex());
        for (int i = 1; i < tail.size(); i++) {
            assertEquals(tail.get(i - 1).getIndex() + 1, tail.get(i).getIndex());
        }

        BlockingQueue<AuditEvent> live = new LinkedBlockingQueue<>();
        var follow = AuditServiceGrpc.newStub(channel);
        io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
        ctx.run(() -> follow.streamAudit(StreamAuditRequest.newBuilder().setFromIndex(size).setFollow(true).build(),
                new StreamObserver<>() {
                    public void onNext(AuditEvent e) { live.add(e); }
                    public void onError(Throwable t) {}
                    public void onCompleted() {}
                }));
        try {
            appendSomeLeaves(2);
            AuditEvent first = live.poll(10, TimeUnit.SECONDS);
            AuditEvent second = live.poll(10, TimeUnit.SECONDS);
            assertEquals(size, first.getIndex());
            assertEquals(size + 1, second.getIndex());
            assertEquals("warrant_filing_rejected", first.getType());
        } finally {
            ctx.cancel(null);
        }
    }

    private static List<byte[]> hashes(List<ByteString> in) {
        return in.stream().map(ByteString::toByteArray).toList();
    }
}
