package io.escrow.config;

import io.escrow.hsm.PinSource;
import io.escrow.hsm.TokenConfig;
import io.escrow.threshold.KeyId;
import io.escrow.threshold.ThresholdParameters;
import java.nio.file.Path;
import java.time.Year;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The service's own settings, read from Quarkus/MicroProfile configuration (application
 * properties, or environment variables such as {@code ESCROW_DATA_DIR}). The service and
 * {@code escrowctl} build this from the same keys, so a ceremony run by the CLI uses exactly the
 * tokens the service uses.
 *
 * <pre>
 * escrow.data-dir                     embedded state (default: escrow-data)
 * escrow.hsm.mode                     embedded (SoftHSM under the data dir; default) or pkcs11
 * escrow.hsm.library                  default PKCS#11 library (default: Debian's SoftHSM2)
 * escrow.hsm.custodians               custodian ids, comma-separated (pkcs11 mode; required)
 * escrow.hsm.token.ID.label           token label of custodian ID (default: ID)
 * escrow.hsm.token.ID.library         PKCS#11 library for that token (default: escrow.hsm.library)
 * escrow.hsm.token.ID.pin-file        file holding the token PIN, or
 * escrow.hsm.token.ID.pin-env         environment variable holding the token PIN
 * escrow.hsm.audit-token              id of the audit signing token (default: audit)
 * escrow.embedded.custodians          n for the embedded mode (default: 3)
 * escrow.key.threshold                t for ceremonies (default: 2)
 * escrow.key.initial-id               key_id of the first ceremony (default: ek-YYYY-01)
 * escrow.custodian.consent            required (default): shares are used only under custodians'
 *                                     activations; in pkcs11 mode no custodian PIN may be configured.
 *                                     standing-pins: the service logs in with configured PINs
 *                                     (development only)
 * </pre>
 */
public record EscrowSettings(
        Path dataDir,
        HsmMode hsmMode,
        List<TokenConfig> custodians,
        TokenConfig auditToken,
        int threshold,
        String initialKeyId,
        Consent consent) {

    public static final Path DEFAULT_LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");

    /** Whether custodian tokens may be used with configured PINs, or only under activations. */
    public enum Consent {
        /** The service logs in to every custodian token with a configured PIN. Development only. */
        STANDING_PINS,
        /** The service holds no custodian PIN; each share is used only under its custodian's activation. */
        REQUIRED
    }

    public enum HsmMode {
        /** SoftHSM tokens provisioned under the data directory, PINs kept in files. Development only. */
        EMBEDDED,
        /** Tokens of any PKCS#11 library, configured explicitly. */
        PKCS11
    }

    /** Reads the settings through {@code lookup}, a view of the configuration by property name. */
    public static EscrowSettings load(Function<String, Optional<String>> lookup) {
        Function<String, Optional<String>> get = k -> lookup.apply(k).map(String::strip).filter(v -> !v.isEmpty());
        Path dataDir = Path.of(get.apply("escrow.data-dir").orElse("escrow-data")).toAbsolutePath().normalize();
        HsmMode mode = switch (get.apply("escrow.hsm.mode").orElse("embedded").toLowerCase()) {
            case "embedded" -> HsmMode.EMBEDDED;
            case "pkcs11" -> HsmMode.PKCS11;
            default -> throw new ConfigurationException("escrow.hsm.mode must be 'embedded' or 'pkcs11'");
        };
        Path library = Path.of(get.apply("escrow.hsm.library").orElse(DEFAULT_LIBRARY.toString()));

        List<String> ids;
        if (mode == HsmMode.EMBEDDED) {
            int n = ConfigValues.intValue(get, "escrow.embedded.custodians", 3, 2, ThresholdParameters.MAX_CUSTODIANS);
            ids = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                ids.add("custodian-" + i);
            }
        } else {
            ids = get.apply("escrow.hsm.custodians").map(v -> Arrays.stream(v.split(",")).map(String::strip)
                    .filter(s -> !s.isEmpty()).toList())
                    .orElseThrow(() -> new ConfigurationException("escrow.hsm.custodians must list the custodian ids in pkcs11 mode"));
        }
        if (ids.stream().distinct().count() != ids.size()) {
            throw new ConfigurationException("escrow.hsm.custodians lists a custodian twice");
        }
        Consent consent = switch (get.apply("escrow.custodian.consent").orElse("required").toLowerCase()) {
            case "required" -> Consent.REQUIRED;
            case "standing-pins" -> Consent.STANDING_PINS;
            default -> throw new ConfigurationException("escrow.custodian.consent must be 'required' or 'standing-pins'");
        };
        boolean withheld = consent == Consent.REQUIRED && mode == HsmMode.PKCS11;
        List<TokenConfig> custodians = ids.stream().map(id -> token(get, id, mode, library, dataDir, withheld)).toList();
        TokenConfig audit = token(get, get.apply("escrow.hsm.audit-token").orElse("audit"), mode, library, dataDir, false);

        int threshold = ConfigValues.intValue(get, "escrow.key.threshold", 2);
        String initialKeyId = get.apply("escrow.key.initial-id").orElse("ek-" + Year.now() + "-01");
        try {
            KeyId.require(initialKeyId);
        } catch (RuntimeException e) {
            throw new ConfigurationException("escrow.key.initial-id: " + e.getMessage());
        }
        return new EscrowSettings(dataDir, mode, custodians, audit, threshold, initialKeyId, consent);
    }

    /** The (t, n) of new ceremonies; fails with the configuration key named. */
    public ThresholdParameters thresholdParameters() {
        try {
            return new ThresholdParameters(threshold, custodians.size());
        } catch (RuntimeException e) {
            throw new ConfigurationException("escrow.key.threshold: " + e.getMessage());
        }
    }

    public Path hsmDir() {
        return dataDir.resolve("hsm");
    }

    public Path softHsmConf() {
        return hsmDir().resolve("softhsm2.conf");
    }

    public Path keyDir() {
        return dataDir.resolve("keys");
    }

    /**
     * @param withheld the service must hold no PIN for this token (consent required, pkcs11 mode):
     *                 configuring one is an error
     */
    private static TokenConfig token(Function<String, Optional<String>> get, String id, HsmMode mode, Path library, Path dataDir,
                                     boolean withheld) {
        if (!id.matches("[A-Za-z0-9._-]{1,32}")) {
            throw new ConfigurationException("custodian id '" + id + "' must be 1-32 characters of [A-Za-z0-9._-]");
        }
        String prefix = "escrow.hsm.token." + id + ".";
        String label = get.apply(prefix + "label").orElse(id);
        Path lib = get.apply(prefix + "library").map(Path::of).orElse(library);
        Optional<String> pinFile = get.apply(prefix + "pin-file");
        Optional<String> pinEnv = get.apply(prefix + "pin-env");
        PinSource pin;
        if (withheld) {
            if (pinFile.isPresent() || pinEnv.isPresent()) {
                throw new ConfigurationException(prefix + "pin-file/pin-env must not be set: with escrow.custodian.consent=required "
                        + "the service holds no custodian PIN (custodians present theirs with ActivateShare)");
            }
            pin = PinSource.withheld();
        } else if (pinFile.isPresent() && pinEnv.isPresent()) {
            throw new ConfigurationException("set only one of " + prefix + "pin-file and " + prefix + "pin-env");
        } else if (pinFile.isPresent()) {
            pin = PinSource.file(Path.of(pinFile.get()));
        } else if (pinEnv.isPresent()) {
            pin = PinSource.env(pinEnv.get());
        } else if (mode == HsmMode.EMBEDDED) {
            pin = PinSource.file(dataDir.resolve("hsm").resolve("pins").resolve(label + ".pin"));
        } else {
            throw new ConfigurationException(prefix + "pin-file or " + prefix + "pin-env must be set in pkcs11 mode");
        }
        return new TokenConfig(id, lib, label, pin);
    }
}
