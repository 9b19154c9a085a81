package io.escrow.storage;

import io.escrow.config.ConfigurationException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * PostgreSQL server settings for the embedded server, from {@code escrow.db.embedded-settings}:
 * comma-separated {@code name=value} pairs, such as
 * {@code shared_buffers=8GB,wal_compression=on,checkpoint_timeout=15min,max_wal_size=16GB}.
 * The embedded server otherwise runs with PostgreSQL's defaults, which suit a development machine
 * but not tens of millions of deposits (see the README's scale section).
 *
 * <p>The settings that make an acknowledged deposit durable cannot be changed here: the promise
 * that a deposit survives kill -9 must not depend on configuration. Nor can the settings the
 * service itself owns (port, data directory).
 */
public final class EmbeddedServerSettings {
    /** synchronous_commit, fsync and full_page_writes stay on; port and data directory are the service's. */
    static final Set<String> FIXED = Set.of("synchronous_commit", "fsync", "full_page_writes", "port", "data_directory",
            "max_connections", "listen_addresses");
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_.]{0,62}");
    private static final Pattern VALUE = Pattern.compile("[A-Za-z0-9_.:+-]{1,64}");
    private static final String KEY = "escrow.db.embedded-settings";

    public static final EmbeddedServerSettings NONE = new EmbeddedServerSettings(Map.of());

    private final Map<String, String> settings;

    private EmbeddedServerSettings(Map<String, String> settings) {
        this.settings = settings;
    }

    /** Parses {@code name=value,name=value}; an empty or blank text is no settings. */
    public static EmbeddedServerSettings parse(String text) {
        Map<String, String> parsed = new LinkedHashMap<>();
        if (text.isBlank()) {
            return NONE;
        }
        for (String pair : text.split(",", -1)) {
            String item = pair.strip();
            int eq = item.indexOf('=');
            if (eq < 0) {
                throw new ConfigurationException(KEY + ": '" + item + "' is not name=value");
            }
            String name = item.substring(0, eq).strip();
            String value = item.substring(eq + 1).strip();
            if (!NAME.matcher(name).matches()) {
                throw new ConfigurationException(KEY + ": '" + name + "' is not a PostgreSQL setting name");
            }
            if (!VALUE.matcher(value).matches()) {
                throw new ConfigurationException(KEY + ": the value of " + name
                        + " must be 1 to 64 letters, digits or _.:+- (got '" + value + "')");
            }
            if (FIXED.contains(name)) {
                throw new ConfigurationException(KEY + ": " + name + " is fixed by the service and cannot be set"
                        + " (synchronous_commit, fsync and full_page_writes stay on so that acknowledged deposits survive a crash)");
            }
            if (parsed.putIfAbsent(name, value) != null) {
                throw new ConfigurationException(KEY + ": " + name + " is given twice");
            }
        }
        return new EmbeddedServerSettings(Collections.unmodifiableMap(parsed));
    }

    /** In the order given. */
    public Map<String, String> asMap() {
        return settings;
    }

    @Override
    public String toString() {
        return settings.toString();
    }
}
