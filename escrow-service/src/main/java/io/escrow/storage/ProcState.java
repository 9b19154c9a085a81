package io.escrow.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What Linux's /proc says of another process. {@link ProcessHandle#isAlive()} is not enough here:
 * it calls a zombie alive, and a killed process whose parent is init stays a zombie until init
 * gets round to reaping it.
 */
final class ProcState {
    private static final Duration POLL = Duration.ofMillis(50);

    private ProcState() {
    }

    /** True when {@code pid} exists and has not exited (neither zombie nor dead). */
    static boolean isRunning(long pid) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.isDirectory(Path.of("/proc/self"))) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
        try {
            char state = state(Files.readString(stat, StandardCharsets.UTF_8));
            return state != 'Z' && state != 'X' && state != 'x';
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException | RuntimeException e) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
    }

    /** The state letter of a /proc/PID/stat line: the field after the command, which is in parentheses and may hold any byte. */
    static char state(String statLine) {
        int close = statLine.lastIndexOf(')');
        if (close < 0 || close + 2 >= statLine.length()) {
            throw new IllegalArgumentException("not a /proc/PID/stat line");
        }
        return statLine.charAt(close + 2);
    }

    /** argv of {@code pid}, or an empty list when it is gone or cannot be read. */
    static List<String> commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            List<String> args = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            if (start < raw.length) {
                args.add(new String(raw, start, raw.length - start, StandardCharsets.UTF_8));
            }
            return args;
        } catch (IOException e) {
            return ProcessHandle.of(pid).flatMap(h -> h.info().command().map(c -> {
                List<String> args = new ArrayList<>(List.of(c));
                h.info().arguments().ifPresent(a -> args.addAll(List.of(a)));
                return args;
            })).orElse(List.of());
        }
    }

    /** Waits up to {@code timeout} for {@code pid} to exit; true when it did. */
    static boolean awaitNotRunning(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isRunning(pid)) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            pause();
        }
        return true;
    }

    static void pause() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageUnavailableException("interrupted while waiting for an earlier PostgreSQL to exit", e);
        }
    }
}
