package io.escrow.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * CPU time of the processes in a load test, from Linux /proc: the service, its embedded
 * PostgreSQL (postmaster and all its children), this generator, and the machine's idle time.
 * {@link #start} takes a snapshot; {@link Snapshot#since} reports each as a percentage of one
 * core over the interval, so the benchmark shows which party a phase is waiting on.
 */
final class CpuShares {
    /** /proc/[pid]/stat and /proc/stat count in clock ticks; USER_HZ is 100 on Linux. */
    private static final double TICKS_PER_SECOND = 100.0;

    private final long servicePid;
    private final Optional<Path> postmasterPidFile;

    CpuShares(long servicePid, Optional<Path> postmasterPidFile) {
        this.servicePid = servicePid;
        this.postmasterPidFile = postmasterPidFile;
    }

    static boolean available() {
        return Files.isReadable(Path.of("/proc/stat"));
    }

    record Snapshot(long nanos, Map<String, Long> ticks) {
        /** "service 37%, PostgreSQL 53%, generator 60%, idle 50% (of 200%)". */
        String since(Snapshot earlier, int cores) {
            double seconds = (nanos - earlier.nanos) / 1e9;
            StringBuilder out = new StringBuilder();
            for (Map.Entry<String, Long> e : ticks.entrySet()) {
                Long before = earlier.ticks.get(e.getKey());
                if (before == null) {
                    continue;
                }
                double percent = (e.getValue() - before) / TICKS_PER_SECOND / seconds * 100;
                out.append(out.length() == 0 ? "" : ", ").append(e.getKey()).append(String.format(" %.0f%%", percent));
            }
            return out.append(String.format(" (of %d%%)", cores * 100)).toString();
        }
    }

    Snapshot take() {
        Map<String, Long> ticks = new LinkedHashMap<>();
        processTicks(servicePid).ifPresent(t -> ticks.put("service", t));
        postmaster().ifPresent(pm -> {
            long sum = processTicks(pm.pid()).orElse(0L);
            for (ProcessHandle child : pm.children().toList()) {
                sum += processTicks(child.pid()).orElse(0L);
            }
            ticks.put("PostgreSQL", sum);
        });
        processTicks(ProcessHandle.current().pid()).ifPresent(t -> ticks.put("generator", t));
        idleTicks().ifPresent(t -> ticks.put("idle", t));
        return new Snapshot(System.nanoTime(), ticks);
    }

    private Optional<ProcessHandle> postmaster() {
        try {
            if (postmasterPidFile.isEmpty() || !Files.isReadable(postmasterPidFile.get())) {
                return Optional.empty();
            }
            return ProcessHandle.of(Long.parseLong(Files.readAllLines(postmasterPidFile.get()).get(0).strip()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** utime + stime of a whole process (all threads), fields 14 and 15 of /proc/[pid]/stat. */
    static Optional<Long> processTicks(long pid) {
        try {
            return Optional.of(ticksOf(Files.readString(Path.of("/proc/" + pid + "/stat"))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static long ticksOf(String stat) {
        // The command name (field 2) is in parentheses and may contain spaces and parentheses:
        // the fields counted here start after the last ')'.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** Idle ticks of all cores: the fourth value of the "cpu" line of /proc/stat. */
    static Optional<Long> idleTicks() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/stat"))) {
            return lines.filter(l -> l.startsWith("cpu ")).findFirst().map(CpuShares::idleOf);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static long idleOf(String cpuLine) {
        List<String> f = List.of(cpuLine.trim().split("\\s+"));
        return Long.parseLong(f.get(4));
    }
}
