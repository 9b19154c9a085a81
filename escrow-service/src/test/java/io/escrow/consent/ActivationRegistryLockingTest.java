package io.escrow.consent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.ActivateShareRequest;
import io.escrow.proto.v1.Activation;
import io.escrow.proto.v1.CustodianServiceGrpc;
import io.escrow.proto.v1.ListActivationsRequest;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.recovery.CustodianAccess;
import io.escrow.storage.Database;
import io.escrow.testing.AuditProbe;
import io.escrow.testing.Warrants;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The consent registry never holds its table lock across a database write or a token login: with
 * an activation stuck in its database write (the audit head row held by another transaction),
 * listing activations and reserving custodians for a recovery still answer at once, and a second
 * activation of the same custodian is refused UNAVAILABLE after the configured wait instead of
 * queueing without bound.
 */
@QuarkusTest
@TestProfile(ConsentProfile.class)
class ActivationRegistryLockingTest {

    @GrpcClient("escrow")
    WarrantServiceGrpc.WarrantServiceBlockingStub warrants;

    @GrpcClient("escrow")
    CustodianServiceGrpc.CustodianServiceBlockingStub custodians;

    @Inject
    Database db;

    @Inject
    CustodianAccess access;

    private Warrant activeWarrant() {
        return Warrants.fileApproved(warrants, Warrants.spec(Warrants.recipient(), 0, 10, 5, "locking-" + UUID.randomUUID()));
    }

    private static ActivateShareRequest activation(Warrant w, String custodian) throws Exception {
        return io.escrow.testing.Activations.request(w, custodian, custodian).setMaxUses(5).build();
    }

    @Test
    void activationStuckInItsDatabaseWrite_blocksNeitherReadersNorRecovery_andItsCustodianWaitsBounded() throws Exception {
        Warrant w = activeWarrant();
        Warrant other = activeWarrant();
        ActivateShareRequest first = activation(w, "custodian-1");
        ActivateShareRequest second = activation(other, "custodian-1");
        AuditProbe audit = new AuditProbe(db);
        long mark = audit.mark();

        CompletableFuture<Activation> granted;
        CompletableFuture<StatusRuntimeException> refused;
        try (Connection blocker = db.connection()) {
            blocker.setAutoCommit(false);
            try (Statement st = blocker.createStatement()) {
                st.execute("select next_index from audit_head where id = 1 for update");
            }
            granted = CompletableFuture.supplyAsync(() -> custodians.activateShare(first));
            waitUntilWaitingOnTheHead();

            // On a registry that holds its lock across the write, these would wait for the blocker: bounded here.
            long start = System.nanoTime();
            CompletableFuture.runAsync(() -> {
                var listed = custodians.listActivations(ListActivationsRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
                assertEquals(0, listed.getActivationsCount(), "not granted while its record is not committed");
                assertEquals(0, access.reserve(other.getWarrantId(), 2, 10).records());
                assertEquals(List.of("custodian-1", "custodian-2", "custodian-3"), access.missing(other.getWarrantId()));
            }).get(10, TimeUnit.SECONDS);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMs < 5_000, "readers answered in " + tookMs + " ms while an activation was stuck");

            // Same custodian, other warrant: waits for custodian-1's lock at most PT1S (the profile's), then is refused.
            refused = CompletableFuture.supplyAsync(() -> {
                try {
                    custodians.activateShare(second);
                    return null;
                } catch (StatusRuntimeException e) {
                    return e;
                }
            });
            Thread.sleep(2_000);
            assertFalse(granted.isDone(), "the first activation is still stuck in its write");
            blocker.rollback();
        }
        assertEquals(Activation.ActivationState.ACTIVE, granted.get(30, TimeUnit.SECONDS).getState());
        StatusRuntimeException e = refused.get(30, TimeUnit.SECONDS);
        assertTrue(e != null, "the second activation of the same custodian was refused");
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains("another activation of custodian-1"), e.getStatus().toString());
        assertEquals(1, audit.find(mark, "activation_rejected", other.getWarrantId()).size(), "the refusal is audited");
        custodians.deactivateShare(io.escrow.proto.v1.DeactivateShareRequest.newBuilder().setCustodianId("custodian-1")
                .setWarrantId(w.getWarrantId()).build());
    }

    /** Waits until some session waits for the audit head's row lock (the stuck activation's write). */
    private void waitUntilWaitingOnTheHead() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            boolean waiting = db.inTransaction("test", c -> {
                try (Statement st = c.createStatement();
                     var rs = st.executeQuery("select count(*) from pg_stat_activity where wait_event_type = 'Lock'")) {
                    rs.next();
                    return rs.getInt(1) > 0;
                }
            });
            if (waiting) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the activation never reached its database write");
    }
}
