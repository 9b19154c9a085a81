package io.escrow.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Binds columns of values as PostgreSQL array parameters, the way batched statements here send
 * many rows in one round trip ({@code ... from unnest(?::bigint[], ?::bytea[])}).
 */
public final class SqlArrays {
    private SqlArrays() {
    }

    /**
     * Binds {@code columns[i]} as an array of SQL type {@code types[i]} to parameter
     * {@code firstParameter + i}.
     */
    public static void bind(Connection c, PreparedStatement ps, int firstParameter, String[] types, Object[]... columns)
            throws SQLException {
        if (types.length != columns.length) {
            throw new IllegalArgumentException(types.length + " types for " + columns.length + " columns");
        }
        for (int i = 0; i < columns.length; i++) {
            ps.setArray(firstParameter + i, c.createArrayOf(types[i], columns[i]));
        }
    }
}
