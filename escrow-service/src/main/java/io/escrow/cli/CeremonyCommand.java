package io.escrow.cli;

import io.escrow.config.EscrowSettings;
import io.escrow.hsm.CustodianTokens;
import io.escrow.hsm.SoftHsmProvisioner;
import io.escrow.keys.ConfiguredCeremony;
import io.escrow.keys.FileKeyRegistry;
import io.escrow.threshold.KeyRecord;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bouncycastle.util.encoders.Hex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** escrowctl ceremony: generate (or rotate to) an escrow key inside the configured custodian tokens. */
@Command(name = "ceremony", mixinStandardHelpOptions = true,
        header = "Generate an escrow key and split it t of n into the custodian tokens.",
        description = {"Generate an escrow key, split it t of n into the configured custodian tokens,",
                "verify every token, and record the public key, Feldman commitments and public shares.",
                "With an existing key, --key-id names the new key (rotation); old keys stay usable.",
                "This logs in to every token, so it needs every PIN. With custodian agents, rotate through them instead:",
                "each custodian runs escrowctl custodian ceremony-consent, then an operator runs escrowctl keys create."})
final class CeremonyCommand implements Callable<Integer> {
    @Option(names = "--key-id", description = "key_id of the new key (default: escrow.key.initial-id for the first key)")
    String keyId;

    @Option(names = "--threshold", description = "t, the number of custodians needed to decrypt (default: escrow.key.threshold)")
    Integer threshold;

    @Option(names = "--config", description = "An extra application.properties file.")
    Path config;

    @Override
    public Integer call() {
        Map<String, String> overrides = new HashMap<>();
        if (threshold != null) {
            overrides.put("escrow.key.threshold", threshold.toString());
        }
        EscrowSettings settings = CliConfig.settings(config, overrides);
        settings.thresholdParameters();
        if (settings.hsmMode() == EscrowSettings.HsmMode.EMBEDDED) {
            SoftHsmProvisioner.requireSoftHsmConf(settings.softHsmConf());
            SoftHsmProvisioner.provision(settings.hsmDir(), settings.custodians().size(), List.of(), true, System.err::println);
        }
        var registry = new FileKeyRegistry(settings.keyDir());
        String id = keyId;
        if (id == null) {
            if (registry.current().isPresent()) {
                System.err.println("escrowctl: keys exist already " + registry.all().stream().map(KeyRecord::keyId).toList()
                        + "; pass --key-id NEW_ID to rotate");
                return 2;
            }
            id = settings.initialKeyId();
        }
        try (CustodianTokens tokens = new CustodianTokens(settings.custodians(), m -> System.err.println("  " + m))) {
            KeyRecord k = ConfiguredCeremony.run(settings, tokens, registry, id, m -> System.out.println("ceremony: " + m));
            System.out.println("key_id:      " + k.keyId());
            System.out.println("threshold:   " + k.threshold() + " of " + k.parameters().custodians());
            System.out.println("public key:  " + Hex.toHexString(k.publicKeyBytes()));
            System.out.println("record:      " + settings.keyDir().resolve(k.keyId() + ".json"));
        }
        return 0;
    }
}
