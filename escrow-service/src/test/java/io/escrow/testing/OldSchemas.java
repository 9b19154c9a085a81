package io.escrow.testing;

import io.escrow.storage.Database;
import io.escrow.storage.DatabaseSettings;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Optional;

/** Embedded databases for migration tests: one of its own under a test's directory, set back to an older schema. */
public final class OldSchemas {
    private OldSchemas() {}

    /** An embedded server of its own under {@code dir}, two connections. */
    public static DatabaseSettings settings(Path dir) {
        return new DatabaseSettings(Optional.empty(), "postgres", "", 2, dir.resolve("postgres"), 0);
    }

    /**
     * Empties the schema that opening {@code db} migrated to the newest version and migrates it
     * again only up to {@code version}, as a database of that earlier version would be.
     */
    public static void migrateTo(Database db, String version) throws java.sql.SQLException {
        String url;
        try (Connection c = db.connection(); var st = c.createStatement()) {
            url = c.getMetaData().getURL();
            st.execute("drop schema public cascade");
            st.execute("create schema public");
        }
        org.flywaydb.core.Flyway.configure(Database.class.getClassLoader()).dataSource(url, "postgres", "")
                .locations("classpath:db/migration").target(version).load().migrate();
    }

    /** The one number {@code sql} (a count) answers, for checking what a migration left. */
    public static long count(Database db, String sql) {
        return db.inTransaction("counting", c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }
}
