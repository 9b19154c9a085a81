package io.escrow.deposit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.storage.Database;
import io.escrow.storage.DatabaseSettings;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Migration V12 on a database of the previous version, holding deposits under three keys: each
 * key's deposits move to a partition of their own, byte for byte; the keys stay apart, and the
 * old table, its digest column and the releases' foreign key are gone. (Its progress reaches the
 * service's log through Flyway, as "DB: deposits partitioned by key: 861 of 861 pages".)
 */
class PartitionMigrationTest {
    private static final Map<String, Integer> DEPOSITS = new LinkedHashMap<>(Map.of("ek-a", 30_000, "ek-b", 7_000, "ek.c_1", 1));

    @TempDir
    Path tmp;

    private final List<String> log = new ArrayList<>();

    private DatabaseSettings settings() {
        return io.escrow.testing.OldSchemas.settings(tmp);
    }

    @Test
    void v12_movesEachKeysDepositsToItsOwnPartition_unchanged() throws Exception {
        String before;
        try (Database db = Database.open(settings(), log::add)) {
            io.escrow.testing.OldSchemas.migrateTo(db, "11");
            before = db.inTransaction("filling V11 deposits", c -> {
                long index = 0;
                try (var st = c.createStatement()) {
                    for (var e : DEPOSITS.entrySet()) {
                        st.execute("insert into audit_log (idx, logged_at, type, actor, leaf) select i, now(), 'deposit', 'p', "
                                + "'\\x00'::bytea from generate_series(" + index + ", " + (index + e.getValue() - 1) + ") as i");
                        st.execute("insert into deposits (record_id, provider, provider_record_id, subject_id, key_id, covers_from, "
                                + "covers_until, enc, ciphertext, audit_index, deposited_at) select gen_random_uuid(), 'p', "
                                + "'" + e.getKey() + "-' || i, 'subject-' || (i % 97), '" + e.getKey() + "', i, i + 60, "
                                + "sha256(int8send(i)), sha256(int8send(-i)), i, now() from generate_series(" + index + ", "
                                + (index + e.getValue() - 1) + ") as i");
                        index += e.getValue();
                    }
                    st.execute("update audit_head set next_index = " + index);
                }
                return digest(c);
            });
        }
        try (Database db = Database.open(settings(), log::add)) {
            db.inTransaction("checking the partitions", c -> {
                assertEquals(before, digest(c), "every deposit, field for field");
                for (var e : DEPOSITS.entrySet()) {
                    try (var ps = c.prepareStatement("select count(*), count(distinct key_id) from " + partition(c, e.getKey()))) {
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            assertEquals(e.getValue(), rs.getInt(1), e.getKey());
                            assertEquals(1, rs.getInt(2), e.getKey() + "'s partition holds only its own deposits");
                        }
                    }
                }
                assertEquals(0, count(c, "select count(*) from information_schema.tables where table_name = 'deposits_unpartitioned'"));
                assertEquals(0, count(c, "select count(*) from information_schema.columns where table_name = 'deposits' "
                        + "and column_name = 'request_digest'"));
                assertEquals(0, count(c, "select count(*) from information_schema.table_constraints where table_name = "
                        + "'warrant_releases' and constraint_name = 'warrant_releases_record_id_fkey'"));
                return null;
            });
        }
    }

    private static String partition(Connection c, String keyId) throws java.sql.SQLException {
        try (var ps = c.prepareStatement("select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
                + "where i.inhparent = 'deposits'::regclass and pg_get_expr(c.relpartbound, c.oid) = format('FOR VALUES IN (%L)', ?::text)")) {
            ps.setString(1, keyId);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "a partition for " + keyId);
                return rs.getString(1);
            }
        }
    }

    private static int count(Connection c, String sql) throws java.sql.SQLException {
        try (var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** One hash over every deposit's fields, in audit order. */
    private static String digest(Connection c) throws java.sql.SQLException {
        try (var st = c.createStatement(); ResultSet rs = st.executeQuery("select md5(string_agg(concat_ws('|', record_id, provider, "
                + "provider_record_id, subject_id, key_id, covers_from, covers_until, encode(enc, 'hex'), encode(ciphertext, 'hex'), "
                + "audit_index, deposited_at), ',' order by audit_index)) from deposits")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
