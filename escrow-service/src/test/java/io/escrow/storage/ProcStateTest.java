package io.escrow.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcStateTest {
    @Test
    void state_ofACommandHoldingParenthesesAndSpaces_isTheLetterAfterIt() {
        assertEquals('Z', ProcState.state("4242 (odd) name (x) Z 1 4242 4242 0 -1 4194560"));
        assertEquals('S', ProcState.state("1 (init) S 0 1 1 0 -1"));
    }

    @Test
    void state_ofALineWithoutACommand_fails() {
        assertThrows(IllegalArgumentException.class, () -> ProcState.state("4242 R"));
        assertThrows(IllegalArgumentException.class, () -> ProcState.state("4242 (cut)"));
    }

    @Test
    void isRunning_ofThisProcess_isTrue_andOfAnExitedChild_isFalse() throws Exception {
        assertTrue(ProcState.isRunning(ProcessHandle.current().pid()));
        Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        assertFalse(ProcState.isRunning(exited.pid()));
        assertTrue(ProcState.awaitNotRunning(exited.pid(), Duration.ZERO));
    }

    @Test
    void commandLine_isTheArgvOfTheProcess() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!ProcState.commandLine(sleeper.pid()).equals(List.of("sleep", "30")) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(List.of("sleep", "30"), ProcState.commandLine(sleeper.pid()));
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
        assertEquals(List.of(), ProcState.commandLine(sleeper.pid()));
    }
}
