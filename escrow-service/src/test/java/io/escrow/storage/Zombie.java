package io.escrow.storage;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A zombie for a minute: a child that has exited under a parent that never reaps it, like a
 * killed postmaster whose new parent (init) has not reaped it yet. Perl (Debian's perl-base is
 * essential) forks, then becomes sleep; a shell is no good, as it may reap the child first.
 */
final class Zombie implements AutoCloseable {
    private final Process parent;
    final long pid;

    Zombie() throws Exception {
        parent = new ProcessBuilder("perl", "-e",
                "$| = 1; my $p = fork(); defined $p or die; if ($p == 0) { exit 0 } print \"$p\\n\"; exec 'sleep', '60';").start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.US_ASCII))) {
            pid = Long.parseLong(out.readLine().strip());
        }
        assertTrue(ProcState.awaitNotRunning(pid, Duration.ofSeconds(10)), "the child exited");
        assertTrue(ProcessHandle.of(pid).isPresent(), "the exited child keeps its pid: a zombie");
        assertFalse(ProcState.isRunning(pid));
    }

    @Override
    public void close() {
        parent.destroyForcibly();
    }
}
