package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The packaged service on an external PostgreSQL that goes away under DepositStream load: stopped
 * for 20 s, or out of disk space. Clients are told UNAVAILABLE (or RESOURCE_EXHAUSTED) and
 * nothing else, nothing acknowledged is lost, and the service resumes by itself once the
 * database is back.
 */
class DatabaseOutageSystemTest {

    private record Run(Path root, StandalonePostgres pg, ServiceProcess service, ManagedChannel channel) implements AutoCloseable {
        /** The database in {@code pgData}; the service's data directory and log under {@code root}. */
        static Run start(Path root, Path pgData) throws Exception {
            StandalonePostgres pg = StandalonePostgres.create(pgData);
            ServiceProcess service = ServiceProcess.start(root.resolve("data"), root.resolve("service.log"), Map.of(
                    "ESCROW_DB_URL", pg.jdbcUrl(), "ESCROW_DB_USERNAME", "postgres"));
            return new Run(root, pg, service, ManagedChannelBuilder.forAddress("localhost", service.grpcPort).usePlaintext().build());
        }

        EscrowKey key() {
            return EscrowServiceGrpc.newBlockingStub(channel).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        }

        @Override
        public void close() throws Exception {
            channel.shutdownNow();
            service.close();
            pg.close();
        }
    }

    private static Path tempRoot(String name) throws Exception {
        Path root = Files.createTempDirectory(name);
        // The server runs as the postgres user (PostgreSQL refuses root), which must reach its directory.
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        return root;
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void databaseStoppedFor20s_underLoad_clientsGetUnavailable_nothingAcknowledgedIsLost_andServiceResumes() throws Exception {
        Path root = tempRoot("escrow-pg-stop-");
        try (Run run = Run.start(root, root.resolve("pg"))) {
            Map<String, DepositReceipt> acknowledged;
            Map<Status.Code, Integer> endings;
            long resumedMs;
            try (DepositStreamLoad load = new DepositStreamLoad(run.channel(), run.key(), "stopped", 4)) {
                load.awaitAcknowledged(1_000, 120);
                load.markOnNextFailure();
                run.pg().stopImmediately();
                Thread.sleep(20_000);
                assertTrue(load.firstFailure() != 0, "no client noticed that the database was stopped");
                assertEquals(0, load.firstAckAfterMark(), "a deposit was acknowledged while the database was stopped");
                long restarted = System.nanoTime();
                run.pg().start();
                resumedMs = awaitResumed(load, restarted);
                load.awaitAcknowledged(load.acknowledgedCount() + 500, 60);
                load.close();
                acknowledged = load.acknowledged();
                endings = load.endings();
            }
            System.out.printf("database stopped 20 s: deposits acknowledged again %d ms after it was started; "
                    + "%d acknowledged; streams ended with %s%n", resumedMs, acknowledged.size(), endings);
            assertTrue(Set.of(Status.Code.UNAVAILABLE).containsAll(endings.keySet()), "clients were told " + endings);
            DepositStreamLoad.assertAllStored(run.pg().jdbcUrl(), "stopped-", acknowledged);
            var verified = ServiceProcess.escrowctl(run.service().dataDir, "audit", "verify", "--target",
                    "localhost:" + run.service().grpcPort, "--state", root.resolve("verify.state").toString());
            assertEquals(0, verified.exit(), verified.output());
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void databaseDiskFull_underLoad_refusesDeposits_losesNothing_andResumesOnceSpaceIsFreed() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a size-limited tmpfs needs root (CI runs as root)");
        Path root = tempRoot("escrow-pg-full-");
        Path mount = root.resolve("small-disk");
        Files.createDirectories(mount);
        exec("mount", "-t", "tmpfs", "-o", "size=96m,mode=0755", "tmpfs", mount.toString());
        try (Run run = Run.start(root, mount.resolve("pg"))) {
            Path filler = mount.resolve("filler");
            Map<String, DepositReceipt> acknowledged;
            Map<Status.Code, Integer> endings;
            long resumedMs;
            try (DepositStreamLoad load = new DepositStreamLoad(run.channel(), run.key(), "full", 4)) {
                load.awaitAcknowledged(500, 120);
                // Leave about 4 MiB: the deposits use it up within seconds.
                long free = Files.getFileStore(mount).getUsableSpace();
                exec("fallocate", "-l", Long.toString(Math.max(0, free - 4L * 1024 * 1024)), filler.toString());
                load.markOnNextFailure();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (load.firstFailure() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertTrue(load.firstFailure() != 0, "deposits never failed on a full disk; " + load.acknowledgedCount()
                        + " acknowledged");
                Thread.sleep(5_000);
                Files.delete(filler);
                long freed = System.nanoTime();
                // PostgreSQL restarts itself after a PANIC on a full disk; if it gave up, the operator starts it.
                if (!run.pg().running()) {
                    run.pg().start();
                }
                resumedMs = awaitResumed(load, freed);
                load.awaitAcknowledged(load.acknowledgedCount() + 500, 60);
                load.close();
                acknowledged = load.acknowledged();
                endings = load.endings();
            }
            System.out.printf("database disk full: deposits acknowledged again %d ms after space was freed; "
                    + "%d acknowledged; streams ended with %s%n", resumedMs, acknowledged.size(), endings);
            assertTrue(Set.of(Status.Code.UNAVAILABLE, Status.Code.RESOURCE_EXHAUSTED).containsAll(endings.keySet()),
                    "clients were told " + endings);
            DepositStreamLoad.assertAllStored(run.pg().jdbcUrl(), "full-", acknowledged);
        } finally {
            exec("umount", "-l", mount.toString());
        }
    }

    /** Milliseconds from {@code since} until a deposit sent after the first failure is acknowledged. */
    private static long awaitResumed(DepositStreamLoad load, long since) throws InterruptedException {
        long deadline = since + TimeUnit.SECONDS.toNanos(60);
        while (load.firstAckAfterMark() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(load.firstAckAfterMark() != 0, "no deposit acknowledged within 60 s; " + load.errorSamples());
        return TimeUnit.NANOSECONDS.toMillis(load.firstAckAfterMark() - since);
    }

    private static void exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
