package io.escrow.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded PostgreSQL, started again over what a killed run left behind. */
class DatabaseTest {
    @TempDir
    Path tmp;

    private final List<String> log = new ArrayList<>();

    private DatabaseSettings settings() {
        return new DatabaseSettings(Optional.empty(), "postgres", "", 2, tmp.resolve("postgres"), 0);
    }

    @Test
    void open_afterItsPostmasterWasKilled_startsAgain_andKeepsWhatWasCommitted() throws Exception {
        try (Database db = Database.open(settings(), log::add)) {
            execute(db, "create table kept (v text); insert into kept values ('committed')");
            long postmaster = postmasterPid();
            // How a restart would recognise this server, were it orphaned.
            assertTrue(LeftoverPostmaster.isPostmasterOf(postmaster, tmp.resolve("postgres")), ProcState.commandLine(postmaster).toString());
            assertFalse(LeftoverPostmaster.isPostmasterOf(postmaster, tmp.resolve("other")));
            // What the restart waits on names the live server's segment, with its processes attached.
            var segment = LeftoverPostmaster.PidFile.parse(Files.readAllLines(tmp.resolve("postgres/postmaster.pid")))
                    .orElseThrow().shmem().orElseThrow();
            int attached = LeftoverPostmaster.attachedProcesses(Files.readString(Path.of("/proc/sysvipc/shm")), segment).orElseThrow();
            assertTrue(attached >= 2, "postmaster and backends attached: " + attached);
            ProcessHandle.of(postmaster).orElseThrow().destroyForcibly();
            assertTrue(ProcState.awaitNotRunning(postmaster, Duration.ofSeconds(30)));
        }
        try (Database db = Database.open(settings(), log::add)) {
            assertEquals("committed", queryOne(db, "select v from kept"));
        }
        assertTrue(log.stream().anyMatch(l -> l.contains("removing the stale postmaster.pid")), log.toString());
    }

    /**
     * The CI failure: a killed postmaster whose parent is init stays a zombie until init reaps it,
     * and PostgreSQL refused to start while its postmaster.pid named that pid ("lock file already
     * exists"). Made deterministic with a zombie that nobody reaps for a minute.
     */
    @Test
    void open_withAPidFileNamingAZombie_starts() throws Exception {
        List<String> pidFile;
        try (Database db = Database.open(settings(), log::add)) {
            execute(db, "create table kept (v text); insert into kept values ('committed')");
            pidFile = Files.readAllLines(tmp.resolve("postgres/postmaster.pid"));
        }
        try (Zombie zombie = new Zombie()) {
            pidFile.set(0, Long.toString(zombie.pid));
            Files.write(tmp.resolve("postgres/postmaster.pid"), pidFile);

            try (Database db = Database.open(settings(), log::add)) {
                assertEquals("committed", queryOne(db, "select v from kept"));
            }
        }
    }

    @Test
    void open_whileAnotherDatabaseHoldsTheDirectory_failsAndLeavesItServing() throws Exception {
        try (Database first = Database.open(settings(), log::add)) {
            StorageUnavailableException e = org.junit.jupiter.api.Assertions.assertThrows(StorageUnavailableException.class,
                    () -> Database.open(settings(), log::add));
            assertTrue(e.getMessage().contains("in use by another escrow service"), e.getMessage());
            assertTrue(first.ping());
        }
    }

    @Test
    void open_withEmbeddedSettings_runsTheServerWithThem_andDurabilityStaysOn() throws Exception {
        DatabaseSettings tuned = new DatabaseSettings(Optional.empty(), "postgres", "", 2, tmp.resolve("postgres"), 0,
                EmbeddedServerSettings.parse("work_mem=7MB,wal_compression=on,checkpoint_timeout=900s"));
        try (Database db = Database.open(tuned, log::add)) {
            assertEquals("7MB", queryOne(db, "show work_mem"));
            assertEquals("on", queryOne(db, "show wal_compression"));
            assertEquals("15min", queryOne(db, "show checkpoint_timeout"));
            assertEquals("on", queryOne(db, "show synchronous_commit"));
            assertEquals("on", queryOne(db, "show fsync"));
        }
        assertTrue(log.stream().anyMatch(l -> l.contains("embedded PostgreSQL settings: {work_mem=7MB")), log.toString());
    }

    private long postmasterPid() throws Exception {
        return Long.parseLong(Files.readAllLines(tmp.resolve("postgres/postmaster.pid")).get(0).strip());
    }

    private static void execute(Database db, String sql) throws Exception {
        try (Connection c = db.connection()) {
            c.createStatement().execute(sql);
        }
    }

    private static String queryOne(Database db, String sql) throws Exception {
        try (Connection c = db.connection(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            assertTrue(rs.next());
            String v = rs.getString(1);
            assertFalse(rs.next());
            return v;
        }
    }
}
