package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.GetTreeHeadRequest;
import io.escrow.proto.v1.AuditServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The packaged service on a pg_auto_failover formation (a primary, a synchronous standby and the
 * monitor, from src/test/ha/pg-ha.sh), given the multi-host URL. The primary's machine dies under
 * DepositStream load (kill -9 of its keeper and postmaster): every acknowledged deposit is on the
 * new primary, clients were told UNAVAILABLE and nothing else, deposits are acknowledged again
 * within 30 s, the published tree head catches up with the new primary's log, and
 * {@code escrowctl audit verify} passes.
 */
class DatabaseFailoverSystemTest {
    private static Path root;
    private static PgHaFormation formation;
    private static ServiceProcess service;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createTempDirectory("escrow-failover-");
        // The nodes run as the postgres user (PostgreSQL refuses root), which must reach its directory.
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        formation = PgHaFormation.start(root.resolve("pg"));
        service = ServiceProcess.start(root.resolve("data"), root.resolve("service.log"), Map.of(
                "ESCROW_DB_URL", formation.jdbcUrl(), "ESCROW_DB_USERNAME", "postgres"));
        channel = ManagedChannelBuilder.forAddress("localhost", service.grpcPort).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (service != null) {
            service.close();
        }
        if (formation != null) {
            formation.close();
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void primaryDies_underDepositStreamLoad_losesNothingAcknowledged_andServesAgainWithin30s() throws Exception {
        EscrowKey key = EscrowServiceGrpc.newBlockingStub(channel).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        int oldPrimary = formation.primaryPort();
        Map<String, DepositReceipt> acknowledged;
        long servedAgainMs;
        long noticedMs;
        Map<Status.Code, Integer> endings;
        try (DepositStreamLoad load = new DepositStreamLoad(channel, key, "failover", 4)) {
            load.awaitAcknowledged(2_000, 120);
            load.markOnNextFailure();
            long killed = System.nanoTime();
            formation.killNode(oldPrimary);
            long deadline = killed + TimeUnit.SECONDS.toNanos(90);
            while (load.firstAckAfterMark() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(load.firstFailure() != 0, "no client noticed the primary's death; " + formation.state());
            assertTrue(load.firstAckAfterMark() != 0, "no deposit acknowledged within 90 s of the kill; "
                    + load.errorSamples() + "\n" + formation.state());
            noticedMs = TimeUnit.NANOSECONDS.toMillis(load.firstFailure() - killed);
            servedAgainMs = TimeUnit.NANOSECONDS.toMillis(load.firstAckAfterMark() - killed);
            int before = load.acknowledgedCount();
            load.awaitAcknowledged(before + 1_000, 60);
            load.close();
            acknowledged = load.acknowledged();
            endings = load.endings();
        }
        System.out.printf("failover: first client error %d ms after the primary was killed, first deposit sent after it "
                + "acknowledged %d ms after the kill; %d acknowledged; streams ended with %s%n", noticedMs, servedAgainMs,
                acknowledged.size(), endings);
        assertTrue(servedAgainMs <= 30_000, "served again after " + servedAgainMs + " ms");
        assertTrue(formation.primaryPort() != oldPrimary, formation.state());
        Set<Status.Code> allowed = Set.of(Status.Code.UNAVAILABLE);
        assertTrue(allowed.containsAll(endings.keySet()), "clients were told " + endings);

        // Every acknowledged deposit is on the new primary, with the record id and audit index it was acknowledged with.
        DepositStreamLoad.assertAllStored(formation.jdbcUrl(), "failover-", acknowledged);

        // The publisher signs the new primary's log: a head covering every leaf appears.
        long leaves;
        try (Connection c = DriverManager.getConnection(formation.jdbcUrl(), "postgres", "");
             ResultSet rs = c.createStatement().executeQuery("select next_index from audit_head")) {
            rs.next();
            leaves = rs.getLong(1);
        }
        var audit = AuditServiceGrpc.newBlockingStub(channel);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long size = 0;
        while (System.nanoTime() < deadline && (size = signedSize(audit)) < leaves) {
            Thread.sleep(250);
        }
        assertTrue(size >= leaves, "latest signed head covers " + size + " of " + leaves + " leaves");
        var verified = ServiceProcess.escrowctl(service.dataDir, "audit", "verify", "--target", "localhost:" + service.grpcPort,
                "--state", root.resolve("verify.state").toString());
        assertEquals(0, verified.exit(), verified.output());
    }

    /** The size in the latest signed checkpoint ("origin\nsize\nroot\n"). */
    private static long signedSize(AuditServiceGrpc.AuditServiceBlockingStub audit) {
        String checkpoint = audit.getTreeHead(GetTreeHeadRequest.getDefaultInstance()).getCheckpoint().toStringUtf8();
        return Long.parseLong(checkpoint.split("\n")[1]);
    }
}
