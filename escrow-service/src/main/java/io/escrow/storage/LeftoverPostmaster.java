package io.escrow.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;

/**
 * Clears what an earlier run's embedded PostgreSQL left in its data directory, so that the next
 * start neither fails nor shares the directory with old processes. Called only while holding the
 * {@link DataDirLock}, which no live service holds any more, so whatever is found belongs to a dead
 * service:
 * <ul>
 *   <li>after kill -9 of the service alone, its postmaster lives on as an orphan: it is stopped,
 *       and PostgreSQL recovers from its WAL on the next start;</li>
 *   <li>after kill -9 of the postmaster, its {@code postmaster.pid} stays behind. PostgreSQL
 *       refuses to start while the pid in it answers kill(pid, 0), which a zombie waiting for
 *       init to reap it does (seen for seconds here), as does an unrelated process that got the
 *       pid. Such a file is removed once no old backend is attached to the old shared memory,
 *       the same test PostgreSQL itself applies to a dead pid.</li>
 * </ul>
 * (A postmaster's parent process proves nothing: pg_ctl starts it detached from the JVM.)
 */
final class LeftoverPostmaster {
    private static final Duration STOP_WAIT = Duration.ofSeconds(30);
    private static final Duration BACKENDS_WAIT = Duration.ofSeconds(60);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);
    private static final Path SYSV_SHM = Path.of("/proc/sysvipc/shm");

    /** A SysV shared memory segment as PostgreSQL names it in postmaster.pid. */
    record Segment(long key, int id) {
    }

    /** The fields of {@code postmaster.pid} used here: line 1 the pid, line 7 the SysV shared memory key and id. */
    record PidFile(long pid, Optional<Segment> shmem) {
        static Optional<PidFile> parse(List<String> lines) {
            if (lines.isEmpty()) {
                return Optional.empty();
            }
            long pid;
            try {
                pid = Long.parseLong(lines.get(0).strip());
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            if (pid <= 0) {
                return Optional.empty();
            }
            Optional<Segment> shmem = Optional.empty();
            if (lines.size() >= 7) {
                String[] keyAndId = lines.get(6).strip().split("\\s+");
                if (keyAndId.length == 2) {
                    try {
                        shmem = Optional.of(new Segment(Long.parseLong(keyAndId[0]), Integer.parseInt(keyAndId[1])));
                    } catch (NumberFormatException ignored) {
                        // Not written yet by a postmaster killed while starting: nothing to wait for.
                    }
                }
            }
            return Optional.of(new PidFile(pid, shmem));
        }
    }

    private LeftoverPostmaster() {
    }

    static void clear(Path dataDir, Consumer<String> log) {
        Path pidPath = dataDir.resolve("postmaster.pid");
        Optional<PidFile> pidFile = read(pidPath);
        if (pidFile.isEmpty()) {
            return;
        }
        long pid = pidFile.get().pid();
        if (isPostmasterOf(pid, dataDir)) {
            log.accept("stopping the orphaned embedded PostgreSQL (pid " + pid + ") left by a previous run; it recovers from its WAL");
            stop(pid);
        }
        pidFile.get().shmem().ifPresent(segment -> awaitBackendsGone(segment, log));
        if (Files.exists(pidPath) && !isPostmasterOf(pid, dataDir)) {
            log.accept("removing the stale postmaster.pid of PostgreSQL pid " + pid
                    + ", which is no longer running (killed?); PostgreSQL recovers from its WAL");
            try {
                Files.deleteIfExists(pidPath);
            } catch (IOException e) {
                throw new StorageUnavailableException("cannot remove the stale " + pidPath + ": " + e.getMessage(), e);
            }
        }
    }

    private static Optional<PidFile> read(Path pidPath) {
        try {
            return Files.isRegularFile(pidPath) ? PidFile.parse(Files.readAllLines(pidPath)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * True when {@code pid} is a live (not zombie) PostgreSQL server whose data directory is
     * {@code dataDir}: its {@code -D} argument names that directory, or, when that argument is
     * relative to where it was started, its working directory is it (a postmaster changes into
     * its data directory).
     */
    static boolean isPostmasterOf(long pid, Path dataDir) {
        if (!ProcState.isRunning(pid)) {
            return false;
        }
        List<String> args = ProcState.commandLine(pid);
        if (args.isEmpty() || !args.get(0).endsWith("postgres")) {
            return false;
        }
        int d = args.indexOf("-D");
        if (d < 0 || d + 1 >= args.size()) {
            return false;
        }
        Path named = Path.of(args.get(d + 1));
        return sameDirectory(named.isAbsolute() ? named : Path.of("/proc", Long.toString(pid), "cwd"), dataDir);
    }

    private static boolean sameDirectory(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    private static void stop(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        if (!ProcState.awaitNotRunning(pid, STOP_WAIT)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            if (!ProcState.awaitNotRunning(pid, STOP_WAIT)) {
                throw new StorageUnavailableException("the orphaned embedded PostgreSQL (pid " + pid
                        + ") did not stop after SIGTERM and SIGKILL", null);
            }
        }
    }

    /**
     * Waits until no process is attached to the old server's shared memory: backends outlive a
     * killed postmaster until they notice, and a new server beside them would corrupt the data.
     */
    private static void awaitBackendsGone(Segment segment, Consumer<String> log) {
        long deadline = System.nanoTime() + BACKENDS_WAIT.toNanos();
        long nextProgress = System.nanoTime() + PROGRESS_EVERY.toNanos();
        while (true) {
            OptionalInt attached = attachedProcesses(segment);
            if (attached.isEmpty() || attached.getAsInt() == 0) {
                return;
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                throw new StorageUnavailableException(attached.getAsInt() + " processes of an earlier PostgreSQL are still attached to"
                        + " its shared memory (SysV id " + segment.id() + ") after " + BACKENDS_WAIT.toSeconds()
                        + " s; stop them (ipcs -p) before starting the service", null);
            }
            if (now - nextProgress >= 0) {
                log.accept("waiting for " + attached.getAsInt() + " processes of the earlier PostgreSQL to exit (SysV shared memory id "
                        + segment.id() + ")");
                nextProgress = now + PROGRESS_EVERY.toNanos();
            }
            ProcState.pause();
        }
    }

    private static OptionalInt attachedProcesses(Segment segment) {
        try {
            return Files.isReadable(SYSV_SHM)
                    ? attachedProcesses(Files.readString(SYSV_SHM, StandardCharsets.US_ASCII), segment)
                    : OptionalInt.empty();
        } catch (IOException e) {
            return OptionalInt.empty();
        }
    }

    /**
     * The nattch of {@code segment} in the text of /proc/sysvipc/shm; empty when it is gone. Key
     * and id must both match: ids are reused once a segment is removed.
     */
    static OptionalInt attachedProcesses(String sysvShm, Segment segment) {
        String[] lines = sysvShm.split("\n");
        if (lines.length == 0) {
            return OptionalInt.empty();
        }
        List<String> header = List.of(lines[0].strip().split("\\s+"));
        int keyColumn = header.indexOf("key");
        int idColumn = header.indexOf("shmid");
        int nattchColumn = header.indexOf("nattch");
        if (keyColumn < 0 || idColumn < 0 || nattchColumn < 0) {
            return OptionalInt.empty();
        }
        for (int i = 1; i < lines.length; i++) {
            String[] fields = lines[i].strip().split("\\s+");
            if (fields.length == header.size() && fields[keyColumn].equals(Long.toString(segment.key()))
                    && fields[idColumn].equals(Integer.toString(segment.id()))) {
                return OptionalInt.of(Integer.parseInt(fields[nattchColumn]));
            }
        }
        return OptionalInt.empty();
    }
}
