package io.escrow.storage;

import java.sql.SQLException;
import java.util.Set;

/**
 * Which database errors mean "this connection is no good any more", as opposed to an error in
 * the statement. Such a connection is dropped from the pool instead of handed out again, so that
 * after a failover the pool reconnects, through the multi-host URL, to whichever server is
 * primary now.
 */
public final class ConnectionFailures {
    private ConnectionFailures() {}

    /**
     * 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (a server starting or
     * being promoted), and 25006: a read-only transaction, which on a connection that was opened
     * to the primary means that server has since been demoted to a standby.
     */
    private static final Set<String> FATAL_STATES = Set.of("57P01", "57P02", "57P03", "25006");

    /** True when the connection that raised {@code e} must not be used again. */
    public static boolean isFatal(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            String state = s.getSQLState();
            // Class 08: connection exceptions (broken socket, refused, no server of the wanted type).
            if (state != null && (state.startsWith("08") || FATAL_STATES.contains(state))) {
                return true;
            }
        }
        return false;
    }

    /** True when no connection could be had at all: nothing of the caller's work ran, so it may be tried again. */
    static boolean isConnectFailure(SQLException e) {
        // The pool wraps the driver's error when it could not open a connection.
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null
                    && Set.of("08001", "08004", "08006", "57P03").contains(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
