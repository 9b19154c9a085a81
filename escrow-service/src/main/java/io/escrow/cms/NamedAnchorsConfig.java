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
 * Reads {@code <prefix>.<name>.trust-anchor=<PEM path>} settings (contract §3), for authorities
 * ({@code escrow.authorities}) and custodians ({@code escrow.custodians}). Names come from the
 * configured property names, including environment variables such as
 * {@code ESCROW_AUTHORITIES_COURT_TRUST_ANCHOR} (name {@code court}).
 */
public final class NamedAnchorsConfig {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,31}");

    private NamedAnchorsConfig() {}

    public static TrustAnchors load(String prefix, Iterable<String> propertyNames, Function<String, Optional<String>> get) {
        Pattern dotted = Pattern.compile(Pattern.quote(prefix) + "\\.([^.]+)\\.trust-anchor");
        Pattern env = Pattern.compile(Pattern.quote(prefix.toUpperCase(Locale.ROOT).replace('.', '_')) + "_(.+)_TRUST_ANCHOR");
        Map<String, String> keyByName = new TreeMap<>();
        for (String p : propertyNames) {
            Matcher d = dotted.matcher(p);
            Matcher e = env.matcher(p);
            if (d.matches()) {
                keyByName.put(d.group(1), p);
            } else if (e.matches()) {
                keyByName.putIfAbsent(e.group(1).toLowerCase(Locale.ROOT), p);
            }
        }
        Map<String, List<X509Certificate>> anchors = new TreeMap<>();
        keyByName.forEach((name, key) -> {
            if (!NAME.matcher(name).matches()) {
                throw new ConfigurationException(key + ": '" + name + "' must be 1-32 characters of [a-z0-9._-]");
            }
            String path = get.apply(key).map(String::strip).filter(v -> !v.isEmpty())
                    .orElseThrow(() -> new ConfigurationException(key + " is empty"));
            anchors.put(name, TrustAnchors.readCertificates(key, Path.of(path)));
        });
        return new TrustAnchors(anchors);
    }
}
