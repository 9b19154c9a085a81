package io.escrow.deposit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Deposits are partitioned by escrow key (migration V12), so that retiring a key drops its
 * deposits as one table. Before a batch names a key for the first time, its partition is made
 * by {@code deposit_partition()}, in a statement of its own: made inside the batch's transaction,
 * which holds the audit head, it could wait on a recovery that holds the deposits and waits for
 * the head.
 */
final class DepositPartitions {
    /** SQLSTATE of deposit_partition() and deposit_batch_v3() for a retired key. */
    static final String RETIRED = "EK001";
    /** SQLSTATE of an insert whose key has no partition: dropped by a retirement since it was made. */
    static final String NO_PARTITION = "23514";

    private final Set<String> ready = ConcurrentHashMap.newKeySet();
    /** Retirement is for ever: a key refused once is refused without asking again. */
    private final Set<String> retired = ConcurrentHashMap.newKeySet();

    /** Makes each key's partition if this process has not yet; returns the keys refused as retired. */
    Set<String> ensure(Connection c, Collection<String> keyIds) throws SQLException {
        Set<String> refused = new HashSet<>();
        for (String keyId : new HashSet<>(keyIds)) {
            if (retired.contains(keyId)) {
                refused.add(keyId);
                continue;
            }
            if (ready.contains(keyId)) {
                continue;
            }
            try (PreparedStatement ps = c.prepareStatement("select deposit_partition(?)")) {
                ps.setString(1, keyId);
                ps.execute();
                ready.add(keyId);
            } catch (SQLException e) {
                if (!RETIRED.equals(e.getSQLState())) {
                    throw e;
                }
                retired.add(keyId);
                refused.add(keyId);
            }
        }
        return refused;
    }

    /** Forgets which partitions exist: a retirement may have dropped one. */
    void forget() {
        ready.clear();
    }

    static boolean isRetirementRace(SQLException e) {
        return RETIRED.equals(e.getSQLState()) || NO_PARTITION.equals(e.getSQLState());
    }
}
