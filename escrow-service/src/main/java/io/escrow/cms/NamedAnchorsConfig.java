package io.escrow.cms;

import io.escrow.config.ConfigurationException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code <prefix>.<name>.trust-anchor=<PEM path>} settings (contract §3), and the optional
 * {@code <prefix>.<name>.crl=<PEM or DER path>}, for authorities ({@code escrow.authorities}) and
 * custodians ({@code escrow.custodians}). Names come from the configured property names,
 * including environment variables such as {@code ESCROW_AUTHORITIES_COURT_TRUST_ANCHOR} and
 * {@code ESCROW_AUTHORITIES_COURT_CRL} (name {@code court}).
 */
public final class NamedAnchorsConfig {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,31}");

    private NamedAnchorsConfig() {}

    public static TrustAnchors load(String prefix, Iterable<String> configNames, Function<String, Optional<String>> get) {
        return load(prefix, configNames, get, List.of());
    }

    /**
     * As {@link #load(String, Iterable, Function)}, with the names configured elsewhere (custodian
     * ids, the authorities a policy names): an environment variable cannot hold '-', so
     * {@code ESCROW_CUSTODIANS_CUSTODIAN_1_TRUST_ANCHOR} means whichever known name it spells
     * ({@code custodian-1}); one that spells no known name and cannot be a name is refused.
     */
    public static TrustAnchors load(String prefix, Iterable<String> configNames, Function<String, Optional<String>> get,
                                    java.util.Collection<String> knownNames) {
        // Copied first: SmallRye's property-name iterable cannot be iterated twice.
        List<String> propertyNames = new java.util.ArrayList<>();
        configNames.forEach(propertyNames::add);
        Map<String, List<X509Certificate>> anchors = new TreeMap<>();
        settings(prefix, "trust-anchor", propertyNames, knownNames).forEach((name, key) ->
                anchors.put(name, TrustAnchors.readCertificates(key, path(key, get))));
        Map<String, RevocationLists> crls = new TreeMap<>();
        settings(prefix, "crl", propertyNames, knownNames).forEach((name, key) -> {
            if (!anchors.containsKey(name)) {
                throw new ConfigurationException(key + " is set, but " + prefix + "." + name + ".trust-anchor is not");
            }
            crls.put(name, RevocationLists.fromFile(key, path(key, get)));
        });
        return new TrustAnchors(anchors, crls);
    }

    /** The property key of each name's {@code <prefix>.<name>.<setting>}, dotted or as an environment variable. */
    private static Map<String, String> settings(String prefix, String setting, Iterable<String> propertyNames,
                                                java.util.Collection<String> knownNames) {
        Pattern dotted = Pattern.compile(Pattern.quote(prefix) + "\\.([^.]+)\\." + Pattern.quote(setting));
        Pattern env = Pattern.compile(Pattern.quote(prefix.toUpperCase(Locale.ROOT).replace('.', '_')) + "_(.+)_"
                + Pattern.quote(setting.toUpperCase(Locale.ROOT).replace('-', '_')));
        Map<String, String> keyByName = new TreeMap<>();
        for (String p : propertyNames) {
            Matcher d = dotted.matcher(p);
            Matcher e = env.matcher(p);
            if (d.matches()) {
                keyByName.put(d.group(1), p);
            } else if (e.matches()) {
                keyByName.putIfAbsent(fromEnvironment(p, e.group(1), knownNames), p);
            }
        }
        keyByName.forEach((name, key) -> {
            if (!NAME.matcher(name).matches()) {
                throw new ConfigurationException(key + ": '" + name + "' must be 1-32 characters of [a-z0-9._-]");
            }
        });
        return keyByName;
    }

    /** The name an environment variable's middle part spells: a known name, or itself in lower case. */
    private static String fromEnvironment(String key, String spelled, java.util.Collection<String> knownNames) {
        for (String known : knownNames) {
            if (envForm(known).equals(spelled)) {
                return known;
            }
        }
        String lower = spelled.toLowerCase(Locale.ROOT);
        if (lower.contains("_")) {
            throw new ConfigurationException(key + ": an environment variable cannot spell '-' or '.', and '" + lower
                    + "' is none of the configured names " + new java.util.TreeSet<>(knownNames) + "; configure the name first, "
                    + "or set the key with its dots and dashes (a properties file, or -D" + key.toLowerCase(Locale.ROOT) + "...)");
        }
        return lower;
    }

    /** How SmallRye spells a property segment in an environment variable: upper case, every other character '_'. */
    static String envForm(String name) {
        StringBuilder b = new StringBuilder(name.length());
        for (char c : name.toCharArray()) {
            b.append(Character.isLetterOrDigit(c) ? Character.toUpperCase(c) : '_');
        }
        return b.toString();
    }

    private static Path path(String key, Function<String, Optional<String>> get) {
        return Path.of(get.apply(key).map(String::strip).filter(v -> !v.isEmpty())
                .orElseThrow(() -> new ConfigurationException(key + " is empty")));
    }
}
