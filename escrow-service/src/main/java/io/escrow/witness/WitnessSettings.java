package io.escrow.witness;

import io.escrow.config.ConfigValues;
import io.escrow.config.ConfigurationException;
import io.escrow.note.VerifierKey;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The witnesses of the audit log (contract §4):
 * <pre>
 * escrow.audit.witnesses.NAME.url   the witness's submission prefix (http or https); add-checkpoint is below it
 * escrow.audit.witnesses.NAME.key   its cosignature verifier key (C2SP vkey, type 0x04)
 * escrow.audit.witness-quorum       k: Recover sends keys only under a checkpoint k witnesses cosigned (default 0)
 * escrow.audit.witness-timeout      how long Recover waits for that quorum (ISO-8601 or 30s; default 30s)
 * </pre>
 * As environment variables: {@code ESCROW_AUDIT_WITNESSES_NAME_URL} (name in lower case).
 */
public record WitnessSettings(List<Configured> witnesses, int quorum, Duration timeout) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,31}");
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    public record Configured(String name, URI url, VerifierKey key) {
        /** The add-checkpoint URL below the submission prefix. */
        public URI addCheckpoint() {
            String base = url.toString();
            return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/add-checkpoint");
        }
    }

    public WitnessSettings {
        witnesses = List.copyOf(witnesses);
        if (quorum < 0 || quorum > witnesses.size()) {
            throw new ConfigurationException("escrow.audit.witness-quorum=" + quorum + " cannot be met by the " + witnesses.size()
                    + " configured witness(es) (escrow.audit.witnesses.<name>.url and .key)");
        }
        Set<String> keys = new HashSet<>();
        for (Configured w : witnesses) {
            if (!keys.add(java.util.Base64.getEncoder().encodeToString(w.key().publicKey()))) {
                throw new ConfigurationException("escrow.audit.witnesses." + w.name() + ".key is the key of another witness too; "
                        + "a quorum counts distinct witnesses");
            }
        }
    }

    public List<VerifierKey> keys() {
        return witnesses.stream().map(Configured::key).toList();
    }

    public static WitnessSettings load(Iterable<String> propertyNames, Function<String, Optional<String>> get) {
        Map<String, String> names = new TreeMap<>();
        Pattern dotted = Pattern.compile("escrow\\.audit\\.witnesses\\.([^.]+)\\.(url|key)");
        Pattern env = Pattern.compile("ESCROW_AUDIT_WITNESSES_(.+)_(URL|KEY)");
        for (String p : propertyNames) {
            Matcher d = dotted.matcher(p);
            Matcher e = env.matcher(p);
            if (d.matches()) {
                names.put(d.group(1), "escrow.audit.witnesses." + d.group(1) + ".");
            } else if (e.matches()) {
                names.putIfAbsent(e.group(1).toLowerCase(Locale.ROOT), "escrow.audit.witnesses." + e.group(1).toLowerCase(Locale.ROOT) + ".");
            }
        }
        List<Configured> out = new ArrayList<>();
        for (Map.Entry<String, String> n : names.entrySet()) {
            String prefix = n.getValue();
            if (!NAME.matcher(n.getKey()).matches()) {
                throw new ConfigurationException(prefix + "url: the witness name '" + n.getKey() + "' must be 1-32 characters of [a-z0-9._-]");
            }
            String url = get.apply(prefix + "url").orElseThrow(() -> new ConfigurationException(prefix + "url is not set"));
            String key = get.apply(prefix + "key").orElseThrow(() -> new ConfigurationException(prefix + "key is not set"));
            URI uri;
            try {
                uri = URI.create(url.strip());
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException(prefix + "url is not a URL: " + e.getMessage());
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new ConfigurationException(prefix + "url must be an http or https URL, not '" + url + "'");
            }
            VerifierKey vkey;
            try {
                vkey = VerifierKey.parse(key);
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException(prefix + "key: " + e.getMessage());
            }
            if (vkey.type() != VerifierKey.COSIGNATURE_V1) {
                throw new ConfigurationException(prefix + "key must be a cosignature key (type 04, c2sp.org/tlog-cosignature), "
                        + "such as escrowctl witness keygen prints");
            }
            out.add(new Configured(n.getKey(), uri, vkey));
        }
        int quorum = ConfigValues.intValue(get, "escrow.audit.witness-quorum", 0, 0, 64);
        Duration timeout = get.apply("escrow.audit.witness-timeout").map(v -> duration("escrow.audit.witness-timeout", v))
                .orElse(DEFAULT_TIMEOUT);
        return new WitnessSettings(out, quorum, timeout);
    }

    static Duration duration(String key, String value) {
        String v = value.strip();
        try {
            Duration d = v.matches("[0-9]+(ms|s|m)") ? parseShort(v) : Duration.parse(v);
            if (d.isNegative() || d.isZero()) {
                throw new ConfigurationException(key + " must be positive");
            }
            return d;
        } catch (java.time.format.DateTimeParseException e) {
            throw new ConfigurationException(key + " must be a duration such as 30s, 500ms or PT30S, not '" + value + "'");
        }
    }

    private static Duration parseShort(String v) {
        if (v.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        }
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        return v.endsWith("s") ? Duration.ofSeconds(n) : Duration.ofMinutes(n);
    }
}
