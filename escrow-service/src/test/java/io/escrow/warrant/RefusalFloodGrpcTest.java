package io.escrow.warrant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.escrow.audit.AuditEntry;
import io.escrow.proto.v1.ApproveWarrantRequest;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.storage.Database;
import io.escrow.testing.AuditProbe;
import io.escrow.testing.Warrants;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A flood of refused approvals by one caller: every call is refused, and the audit log accounts
 * for every one of them, but in fewer leaves than calls, so the flood does not take the audit
 * head once per call.
 */
@QuarkusTest
class RefusalFloodGrpcTest {
    @GrpcClient("escrow")
    WarrantServiceGrpc.WarrantServiceBlockingStub warrants;

    @Inject
    Database db;

    @Test
    void approveWarrant_floodOfBadSignatures_isAllRefused_andCountedInFewerLeaves() throws Exception {
        Warrant w = warrants.fileWarrant(FileWarrantRequest.newBuilder()
                .setSpec(Warrants.spec(Warrants.recipient(), 100, 200, 10, "flood-subject")).build());
        AuditProbe audit = new AuditProbe(db);
        long mark = audit.mark();
        int callers = 32;
        int perCaller = 10;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<Status.Code>>> results = new ArrayList<>();
        try {
            for (int i = 0; i < callers; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    List<Status.Code> codes = new ArrayList<>();
                    for (int n = 0; n < perCaller; n++) {
                        try {
                            warrants.withDeadlineAfter(30, TimeUnit.SECONDS).approveWarrant(ApproveWarrantRequest.newBuilder()
                                    .setWarrantId(w.getWarrantId()).setCmsSignature(ByteString.copyFromUtf8("not a CMS")).build());
                            codes.add(Status.Code.OK);
                        } catch (StatusRuntimeException e) {
                            codes.add(e.getStatus().getCode());
                        }
                    }
                    return codes;
                }));
            }
            start.countDown();
            for (Future<List<Status.Code>> f : results) {
                for (Status.Code c : f.get(2, TimeUnit.MINUTES)) {
                    assertEquals(Status.Code.INVALID_ARGUMENT, c);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        List<AuditProbe.Leaf> leaves = audit.find(mark, "approval_rejected", w.getWarrantId());
        long accounted = 0;
        for (AuditProbe.Leaf leaf : leaves) {
            accounted += Long.parseLong(AuditEntry.decode(leaf.leaf()).text("count").orElse("1"));
        }
        assertEquals((long) callers * perCaller, accounted, "every refusal is on the record");
        assertTrue(leaves.size() < callers * perCaller, "refusals made while one was recorded share a leaf: " + leaves.size() + " leaves");
    }
}
