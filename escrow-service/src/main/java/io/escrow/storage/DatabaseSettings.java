package io.escrow.storage;

import io.escrow.config.ConfigValues;
import io.escrow.config.ConfigurationException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where the data lives. Without {@code escrow.db.url} the service runs an embedded PostgreSQL in
 * {@code <data-dir>/postgres}; with it, any PostgreSQL-compatible server.
 *
 * <pre>
 * escrow.db.url            JDBC URL of an external server (unset: embedded)
 * escrow.db.username       user name (external)
 * escrow.db.password       password (external; e.g. ESCROW_DB_PASSWORD from a Secret)
 * escrow.db.pool-size      connections per instance (default 16)
 * escrow.db.embedded-port  port of the embedded server (default 0: any free port)
 * escrow.db.embedded-settings  PostgreSQL settings of the embedded server, name=value,...
 *                          (default: none, PostgreSQL's defaults; see {@link EmbeddedServerSettings})
 * </pre>
 */
public record DatabaseSettings(Optional<String> url, String username, String password, int poolSize,
                               Path embeddedDir, int embeddedPort, EmbeddedServerSettings embeddedSettings) {

    /** An embedded or external database with the embedded server on PostgreSQL's defaults. */
    public DatabaseSettings(Optional<String> url, String username, String password, int poolSize, Path embeddedDir,
                            int embeddedPort) {
        this(url, username, password, poolSize, embeddedDir, embeddedPort, EmbeddedServerSettings.NONE);
    }

    public static DatabaseSettings load(Function<String, Optional<String>> get, Path dataDir) {
        Optional<String> url = get.apply("escrow.db.url");
        url.ifPresent(u -> {
            if (!u.startsWith("jdbc:postgresql:")) {
                throw new ConfigurationException("escrow.db.url must be a jdbc:postgresql: URL");
            }
        });
        return new DatabaseSettings(url, get.apply("escrow.db.username").orElse("postgres"),
                get.apply("escrow.db.password").orElse(""), ConfigValues.intValue(get, "escrow.db.pool-size", 16, 2, 256),
                dataDir.resolve("postgres"), ConfigValues.intValue(get, "escrow.db.embedded-port", 0, 0, 65535),
                EmbeddedServerSettings.parse(get.apply("escrow.db.embedded-settings").orElse("")));
    }

    public boolean embedded() {
        return url.isEmpty();
    }


    @Override
    public String toString() {
        return "DatabaseSettings[" + (embedded() ? "embedded " + embeddedDir + " " + embeddedSettings : url.get()) + ", pool " + poolSize + "]";
    }
}
