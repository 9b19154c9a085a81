package io.escrow.config;

import java.util.Optional;
import java.util.function.Function;

/** Typed reads of configuration values that fail with the key named. */
public final class ConfigValues {
    private ConfigValues() {}

    /** A whole number, or {@code dflt} when unset. */
    public static int intValue(Function<String, Optional<String>> get, String key, int dflt) {
        Optional<String> v = get.apply(key);
        try {
            return v.map(Integer::parseInt).orElse(dflt);
        } catch (NumberFormatException e) {
            throw new ConfigurationException(key + " must be a whole number, got '" + v.get() + "'");
        }
    }

    /** A whole number in [min, max], or {@code dflt} when unset. */
    public static int intValue(Function<String, Optional<String>> get, String key, int dflt, int min, int max) {
        int n = intValue(get, key, dflt);
        if (n < min || n > max) {
            throw new ConfigurationException(key + " must be " + min + ".." + max);
        }
        return n;
    }
}
