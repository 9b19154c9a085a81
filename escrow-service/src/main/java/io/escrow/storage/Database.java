package io.escrow.storage;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.AgroalConnectionPoolConfiguration.ConnectionValidator;
import io.agroal.api.configuration.supplier.AgroalDataSourceConfigurationSupplier;
import io.agroal.api.security.NamePrincipal;
import io.agroal.api.security.SimplePassword;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.Consumer;
import org.flywaydb.core.Flyway;

/**
 * The PostgreSQL connection pool, over an embedded server or an external one, migrated by Flyway
 * with the same migrations either way. The embedded server runs with synchronous_commit and
 * fsync on: a deposit is acknowledged only after its commit is on disk, so it survives kill -9
 * of the service and of the database.
 */
public final class Database implements AutoCloseable {
    private final DataDirLock owner;
    private final EmbeddedPostgres embedded;
    private final AgroalDataSource pool;
    private final String description;

    private Database(DataDirLock owner, EmbeddedPostgres embedded, AgroalDataSource pool, String description) {
        this.owner = owner;
        this.embedded = embedded;
        this.pool = pool;
        this.description = description;
    }

    public static Database open(DatabaseSettings settings, Consumer<String> log) {
        DataDirLock owner = null;
        EmbeddedPostgres embedded = null;
        String url;
        String user = settings.username();
        String password = settings.password();
        if (settings.embedded()) {
            owner = DataDirLock.acquire(settings.embeddedDir());
            try {
                embedded = startEmbedded(settings, log);
            } catch (RuntimeException e) {
                owner.close();
                throw e;
            }
            url = embedded.getJdbcUrl("postgres", "postgres");
            user = "postgres";
            password = "";
        } else {
            url = settings.url().orElseThrow();
        }
        try {
            AgroalDataSource pool = AgroalDataSource.from(pool(url, user, password, settings.poolSize()));
            Flyway.configure(Database.class.getClassLoader())
                    .dataSource(pool)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
            String description = settings.embedded() ? "embedded PostgreSQL in " + settings.embeddedDir() + " (port "
                    + embedded.getPort() + ")" : redact(url);
            log.accept("database ready: " + description);
            return new Database(owner, embedded, pool, description);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(embedded);
            if (owner != null) {
                owner.close();
            }
            throw new StorageUnavailableException("cannot open " + (settings.embedded() ? "the embedded database" : redact(url))
                    + ": " + e.getMessage(), e);
        }
    }

    private static EmbeddedPostgres startEmbedded(DatabaseSettings settings, Consumer<String> log) {
        LeftoverPostmaster.clear(settings.embeddedDir(), log);
        try {
            log.accept("starting embedded PostgreSQL in " + settings.embeddedDir());
            EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
                    .setDataDirectory(settings.embeddedDir())
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("fsync", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", "300");
            settings.embeddedSettings().asMap().forEach(b::setServerConfig);
            if (!settings.embeddedSettings().asMap().isEmpty()) {
                log.accept("embedded PostgreSQL settings: " + settings.embeddedSettings());
            }
            if (settings.embeddedPort() != 0) {
                b.setPort(settings.embeddedPort());
            }
            return b.start();
        } catch (IOException | RuntimeException e) {
            throw new StorageUnavailableException("the embedded PostgreSQL in " + settings.embeddedDir()
                    + " did not start (is another escrow service using this data directory?): " + e.getMessage(), e);
        }
    }

    private static AgroalDataSourceConfigurationSupplier pool(String url, String user, String password, int size) {
        return new AgroalDataSourceConfigurationSupplier()
                .connectionPoolConfiguration(cp -> cp
                        .maxSize(size)
                        .minSize(1)
                        .initialSize(1)
                        .acquisitionTimeout(Duration.ofSeconds(10))
                        // A connection that failed with a connection-class error is dropped at once; one
                        // idle for more than a second is checked before it is handed out, so that after a
                        // failover no request is given a connection to the dead or demoted server.
                        .exceptionSorter(ConnectionFailures::isFatal)
                        .connectionValidator(ConnectionValidator.defaultValidatorWithTimeout(2))
                        .idleValidationTimeout(Duration.ofSeconds(1))
                        .validationTimeout(Duration.ofSeconds(30))
                        .connectionFactoryConfiguration(cf -> cf
                                .jdbcUrl(url)
                                .autoCommit(true)
                                .principal(new NamePrincipal(user))
                                .credential(new SimplePassword(password))));
    }

    /**
     * A pooled connection. When no server answers as primary (a failover in progress, or the
     * server restarting), it tries again for up to {@link #CONNECT_WAIT}: no work has run yet,
     * so that is always safe. Errors after that, in the caller's work or its commit, are never
     * retried here: the caller's client is told UNAVAILABLE and retries with the same idempotent
     * request, because a commit whose answer was lost may or may not have happened.
     */
    public Connection connection() throws SQLException {
        long deadline = System.nanoTime() + CONNECT_WAIT.toNanos();
        long pause = 100;
        while (true) {
            try {
                return pool.getConnection();
            } catch (SQLException e) {
                if (!ConnectionFailures.isConnectFailure(e) || System.nanoTime() + pause * 1_000_000 > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pause = Math.min(pause * 2, 1000);
            }
        }
    }

    /** How long {@link #connection} keeps trying to reach a primary. */
    static final Duration CONNECT_WAIT = Duration.ofSeconds(5);

    /** Work done inside one transaction. */
    @FunctionalInterface
    public interface Transaction<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction and commits it. Any exception rolls it back; a
     * database failure surfaces as {@link StorageUnavailableException} with {@code what} named.
     */
    public <T> T inTransaction(String what, Transaction<T> work) {
        try (Connection c = connection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // The connection is broken; closing it discards the transaction anyway.
                }
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StorageUnavailableException(what + " failed: " + e.getMessage(), e);
        }
    }

    /** True when a trivial query succeeds within two seconds. */
    public boolean ping() {
        try (Connection c = connection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    public String description() {
        return description;
    }

    @Override
    public void close() {
        pool.close();
        closeQuietly(embedded);
        if (owner != null) {
            owner.close();
        }
    }

    private static void closeQuietly(EmbeddedPostgres pg) {
        if (pg != null) {
            try {
                pg.close();
            } catch (IOException ignored) {
                // Shutting down; PostgreSQL recovers from its WAL on the next start anyway.
            }
        }
    }

    /** A JDBC URL without any password parameter, for logs and errors. */
    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
