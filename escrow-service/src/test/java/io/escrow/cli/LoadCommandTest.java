package io.escrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** escrowctl load's arguments are checked before it connects to anything. */
class LoadCommandTest {
    @Test
    void scale_withCountsNotAscendingOrBelowOne_orNoRecovery_isAUsageError() {
        // Port 1 has no service: a usage error must come before any connection attempt.
        assertEquals(2, EscrowCtl.execute("load", "--target", "localhost:1", "--scale", "2000,1000"));
        assertEquals(2, EscrowCtl.execute("load", "--target", "localhost:1", "--scale", "1000,1000"));
        assertEquals(2, EscrowCtl.execute("load", "--target", "localhost:1", "--scale", "0,1000"));
        assertEquals(2, EscrowCtl.execute("load", "--target", "localhost:1", "--scale", "1000", "--recovery", "0"));
    }

    @Test
    void tokenLatency_malformed_isAUsageError() {
        for (String bad : new String[] {"2", "2s", "-1ms", "fast"}) {
            assertEquals(2, EscrowCtl.execute("load", "--target", "localhost:1", "--token-latency", bad), bad);
        }
    }
}
