package io.escrow.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.storage.LeftoverPostmaster.PidFile;
import io.escrow.storage.LeftoverPostmaster.Segment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeftoverPostmasterTest {
    /** A postmaster.pid as PostgreSQL 14 writes it. */
    private static final List<String> PID_FILE = List.of("25264", "/tmp/run2/postgres", "1795466233", "38091", "/tmp",
            "localhost", "  2162747        10", "ready   ");

    private static final String SYSV_SHM = """
                   key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap
               2162747         10   600                    56 25264 25271      3     0     0     0     0 1795466594 1795466602 1795466233                  4096                     0
               2162748         11   600                    56 25300 25301      0     0     0     0     0 1795466594 1795466602 1795466233                  4096                     0
            """;

    @TempDir
    Path tmp;

    private final List<Process> started = new ArrayList<>();
    private final List<String> log = new ArrayList<>();

    @AfterEach
    void stopProcesses() {
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void pidFile_parse_readsThePidAndTheSharedMemoryId() {
        assertEquals(Optional.of(new PidFile(25264, Optional.of(new Segment(2162747, 10)))), PidFile.parse(PID_FILE));
    }

    @Test
    void pidFile_parse_ofAFileCutShortWhileStarting_hasNoSharedMemoryId() {
        assertEquals(Optional.of(new PidFile(25264, Optional.empty())), PidFile.parse(PID_FILE.subList(0, 3)));
    }

    @Test
    void pidFile_parse_withoutAValidPid_isEmpty() {
        assertEquals(Optional.empty(), PidFile.parse(List.of()));
        assertEquals(Optional.empty(), PidFile.parse(List.of("")));
        assertEquals(Optional.empty(), PidFile.parse(List.of("postgres")));
        assertEquals(Optional.empty(), PidFile.parse(List.of("-1")));
        assertEquals(Optional.empty(), PidFile.parse(List.of("0")));
    }

    @Test
    void attachedProcesses_readsTheNattchOfThatSegment() {
        assertEquals(OptionalInt.of(3), LeftoverPostmaster.attachedProcesses(SYSV_SHM, new Segment(2162747, 10)));
        assertEquals(OptionalInt.of(0), LeftoverPostmaster.attachedProcesses(SYSV_SHM, new Segment(2162748, 11)));
    }

    @Test
    void attachedProcesses_ofAnIdReusedUnderAnotherKey_isEmpty() {
        assertEquals(OptionalInt.empty(), LeftoverPostmaster.attachedProcesses(SYSV_SHM, new Segment(999, 10)));
    }

    @Test
    void attachedProcesses_ofASegmentThatIsGone_isEmpty() {
        assertEquals(OptionalInt.empty(), LeftoverPostmaster.attachedProcesses(SYSV_SHM, new Segment(2162747, 12)));
        assertEquals(OptionalInt.empty(), LeftoverPostmaster.attachedProcesses("", new Segment(2162747, 10)));
        assertEquals(OptionalInt.empty(), LeftoverPostmaster.attachedProcesses("no such columns\n1 2 3\n", new Segment(2162747, 10)));
    }

    @Test
    void clear_withoutAPidFile_doesNothing() throws Exception {
        LeftoverPostmaster.clear(tmp, log::add);
        assertEquals(List.of(), log);
    }

    /**
     * After kill -9 of a postmaster whose parent is init, its pid stays a zombie until init reaps
     * it, and PostgreSQL refuses to start while kill(pid, 0) answers. This is the CI failure.
     */
    @Test
    void clear_withThePidOfAZombie_removesThePidFile() throws Exception {
        try (Zombie zombie = new Zombie()) {
            Files.write(tmp.resolve("postmaster.pid"), withPid(zombie.pid));

            LeftoverPostmaster.clear(tmp, log::add);

            assertFalse(Files.exists(tmp.resolve("postmaster.pid")));
            assertTrue(log.get(0).contains("removing the stale postmaster.pid of PostgreSQL pid " + zombie.pid), log.toString());
        }
    }

    @Test
    void clear_withThePidOfAnUnrelatedProcess_removesThePidFile_andLeavesThatProcessRunning() throws Exception {
        Process unrelated = start("sleep", "60");
        Files.write(tmp.resolve("postmaster.pid"), withPid(unrelated.pid()));

        LeftoverPostmaster.clear(tmp, log::add);

        assertFalse(Files.exists(tmp.resolve("postmaster.pid")));
        assertTrue(unrelated.isAlive());
    }

    @Test
    void clear_withAPostmasterOfThisDirectoryRunning_stopsIt() throws Exception {
        // Not a real postgres: a process whose argv reads like one, so the test needs no server.
        Path dataDir = tmp.resolve("postgres");
        Files.createDirectories(dataDir);
        Process postmaster = fakePostgres(tmp.resolve("bin/postgres"), dataDir);
        awaitArgv(postmaster.pid(), dataDir);
        Files.write(dataDir.resolve("postmaster.pid"), withPid(postmaster.pid()));

        LeftoverPostmaster.clear(dataDir, log::add);

        assertTrue(postmaster.waitFor(5, java.util.concurrent.TimeUnit.SECONDS), "SIGTERM sent");
        assertTrue(log.get(0).contains("stopping the orphaned embedded PostgreSQL (pid " + postmaster.pid() + ")"), log.toString());
    }

    @Test
    void isPostmasterOf_withARelativeDataDirectory_matchesItsWorkingDirectory() throws Exception {
        Path dataDir = tmp.resolve("postgres");
        Files.createDirectories(dataDir);
        Process relative = started(new ProcessBuilder("/bin/bash", "-c", "exec -a /opt/pg/bin/postgres /bin/bash -c 'sleep 60; :' -D postgres")
                .directory(dataDir.toFile()));
        awaitArgv(relative.pid(), Path.of("postgres"));
        assertTrue(LeftoverPostmaster.isPostmasterOf(relative.pid(), dataDir));
        assertFalse(LeftoverPostmaster.isPostmasterOf(relative.pid(), tmp.resolve("elsewhere")));
    }

    @Test
    void isPostmasterOf_anotherDirectory_isFalse() throws Exception {
        Path dataDir = tmp.resolve("postgres");
        Process other = fakePostgres(Path.of("/opt/pg/bin/postgres"), tmp.resolve("elsewhere"));
        awaitArgv(other.pid(), tmp.resolve("elsewhere"));
        assertFalse(LeftoverPostmaster.isPostmasterOf(other.pid(), dataDir));
        assertTrue(LeftoverPostmaster.isPostmasterOf(other.pid(), tmp.resolve("elsewhere")));
    }

    private static List<String> withPid(long pid) {
        List<String> lines = new ArrayList<>(PID_FILE);
        lines.set(0, Long.toString(pid));
        // A segment id that does not exist, so there is nothing to wait for.
        lines.set(6, "  2162747 2147483646");
        return lines;
    }

    /** A shell whose argv reads like a postmaster's: {@code <binary> -c 'sleep 60; :' -D <dataDir>}. */
    private Process fakePostgres(Path binary, Path dataDir) throws Exception {
        return start("/bin/bash", "-c", "exec -a " + binary + " /bin/bash -c 'sleep 60; :' -D " + dataDir);
    }

    private Process start(String... command) throws Exception {
        return started(new ProcessBuilder(command));
    }

    private Process started(ProcessBuilder builder) throws Exception {
        Process p = builder.redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    private static void awaitArgv(long pid, Path dataDir) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!ProcState.commandLine(pid).contains(dataDir.toString()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
