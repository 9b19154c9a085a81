package io.escrow.storage;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class ConnectionFailuresTest {

    @Test
    void isFatal_forConnectionClassAndShutdownAndDemotion_isTrue() {
        for (String state : new String[] {"08000", "08001", "08003", "08006", "57P01", "57P02", "57P03", "25006"}) {
            assertTrue(ConnectionFailures.isFatal(new SQLException("x", state)), state);
        }
    }

    @Test
    void isFatal_forStatementErrors_isFalse() {
        // unique violation, serialization failure, disk full, syntax error, no state at all
        for (String state : new String[] {"23505", "40001", "53100", "42601", null}) {
            assertFalse(ConnectionFailures.isFatal(new SQLException("x", state)), String.valueOf(state));
        }
    }

    @Test
    void isFatal_looksAtChainedExceptions() {
        SQLException batch = new SQLException("batch failed", "XX000");
        batch.setNextException(new SQLException("I/O error", "08006"));
        assertTrue(ConnectionFailures.isFatal(batch));
    }

    @Test
    void isConnectFailure_onlyWhenNoConnectionWasHad_evenWrappedByThePool() {
        assertTrue(ConnectionFailures.isConnectFailure(new SQLException("no primary", "08001")));
        assertTrue(ConnectionFailures.isConnectFailure(new SQLException("pool", null, new SQLException("starting up", "57P03"))));
        assertFalse(ConnectionFailures.isConnectFailure(new SQLException("read only", "25006")),
                "work may have run on a demoted server's connection");
        assertFalse(ConnectionFailures.isConnectFailure(new SQLException("unique", "23505")));
    }
}
