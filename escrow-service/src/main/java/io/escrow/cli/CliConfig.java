package io.escrow.cli;

import io.escrow.config.EscrowSettings;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration escrowctl reads: the same keys and sources as the service (system
 * properties, environment variables, the application's application.properties), plus an optional
 * properties file and command-line overrides.
 */
final class CliConfig {
    private CliConfig() {}

    static EscrowSettings settings(Path extraProperties, Map<String, String> overrides) {
        SmallRyeConfigBuilder b = new SmallRyeConfigBuilder().addDefaultSources().addDefaultInterceptors();
        try {
            URL builtIn = CliConfig.class.getClassLoader().getResource("application.properties");
            if (builtIn != null) {
                b.withSources(new PropertiesConfigSource(builtIn, 250));
            }
            if (extraProperties != null) {
                b.withSources(new PropertiesConfigSource(extraProperties.toUri().toURL(), 260));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read configuration: " + e.getMessage(), e);
        }
        SmallRyeConfig config = b.build();
        return EscrowSettings.load(key -> Optional.ofNullable(overrides.get(key)).or(() -> config.getOptionalValue(key, String.class)));
    }
}
