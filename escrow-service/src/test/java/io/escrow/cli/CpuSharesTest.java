package io.escrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuSharesTest {
    @Test
    void ticksOf_addsUserAndSystemTime_evenWithParenthesesAndSpacesInTheName() {
        String stat = "4242 (postgres: a (b) c) S 1 4242 4242 0 -1 4194560 812 0 0 0 1234 567 0 0 20 0 1 0 99 0 0";
        assertEquals(1234 + 567, CpuShares.ticksOf(stat));
    }

    @Test
    void idleOf_readsTheFourthValueOfTheCpuLine() {
        assertEquals(9876, CpuShares.idleOf("cpu  100 2 300 9876 5 0 7 0 0 0"));
    }

    @Test
    void since_reportsEachPartyAsAPercentageOfOneCore() {
        Map<String, Long> before = new LinkedHashMap<>(Map.of("service", 100L));
        before.put("idle", 1_000L);
        Map<String, Long> after = new LinkedHashMap<>(Map.of("service", 150L));
        after.put("idle", 1_100L);
        String line = new CpuShares.Snapshot(2_000_000_000L, after).since(new CpuShares.Snapshot(0, before), 2);
        assertEquals("service 25%, idle 50% (of 200%)", line);
    }

    @Test
    void processTicks_ofThisProcess_isReadable() {
        assertTrue(CpuShares.processTicks(ProcessHandle.current().pid()).isPresent());
        assertTrue(CpuShares.idleTicks().isPresent());
    }
}
