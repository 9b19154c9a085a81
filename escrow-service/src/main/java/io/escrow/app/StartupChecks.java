package io.escrow.app;

import io.escrow.config.EscrowSettings;
import io.escrow.deposit.DepositLog;
import io.escrow.transport.TransportSettings;
import io.escrow.hsm.CustodianTokens;
import io.escrow.keys.ConfiguredCeremony;
import io.escrow.keys.KeyRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.bouncycastle.util.encoders.Hex;
import org.jboss.logging.Logger;

/**
 * On start: open the database and the deposit log (so that a bad configuration fails at once),
 * warn loudly about development mode, run the first key ceremony in the embedded default, and say
 * which key deposits should use.
 */
@ApplicationScoped
public class StartupChecks {
    private static final Logger LOG = Logger.getLogger(StartupChecks.class);

    void onStart(@Observes StartupEvent event, EscrowSettings settings, CustodianTokens tokens, KeyRegistry registry,
                 TransportSettings transport, DepositLog deposits) {
        // Every named setting is read now, so a name that cannot work fails the start, not the first call.
        EscrowRuntime.configuredAuthorities();
        EscrowRuntime.configuredCustodianAnchors(settings);
        var config = org.eclipse.microprofile.config.ConfigProvider.getConfig();
        io.escrow.warrant.WarrantLimits.load(k -> config.getOptionalValue(k, String.class)).checkRequestLimit(
                config.getOptionalValue("quarkus.grpc.server.max-inbound-message-size", Integer.class).orElse(4 << 20));
        if (transport.developmentIdentity()) {
            LOG.warn("""

                    ************************************************************************
                    *  DEVELOPMENT MODE: gRPC is PLAINTEXT and every caller is the fixed
                    *  identity 'dev' holding every role (provider, agency, authority,
                    *  overseer, operator, custodian). Configure quarkus.grpc.server.ssl.*
                    *  with client-auth=REQUIRED and escrow.tls.client.* for production.
                    ************************************************************************""");
        }
        if (settings.hsmMode() == EscrowSettings.HsmMode.EMBEDDED) {
            LOG.warn("""

                    ************************************************************************
                    *  DEVELOPMENT MODE: embedded SoftHSM tokens under %s
                    *  Every custodian PIN is a file there (%s), so whoever
                    *  can read them could act as every custodian and decrypt alone.
                    *  Never use this mode for real data; configure escrow.hsm.mode=pkcs11
                    *  with real HSMs, where the service holds no custodian PIN.
                    ************************************************************************"""
                    .formatted(settings.hsmDir(), settings.consent() == EscrowSettings.Consent.REQUIRED
                            ? "used here only for the first ceremony and by escrowctl demo"
                            : "and this process logs in with them"));
            // With consent required the serving tokens are not logged in: the development ceremony
            // opens its own sessions from the PIN files and closes them again.
            CustodianTokens ceremonyTokens = settings.consent() == EscrowSettings.Consent.REQUIRED
                    ? new CustodianTokens(settings.custodians(), LOG::info) : tokens;
            try {
                ConfiguredCeremony.runIfNoKey(settings, ceremonyTokens, registry, m -> LOG.info("ceremony: " + m))
                        .ifPresent(k -> LOG.infof("first start: created escrow key %s (%d of %d)", k.keyId(),
                                k.threshold(), k.parameters().custodians()));
            } finally {
                if (ceremonyTokens != tokens) {
                    ceremonyTokens.close();
                }
            }
        }
        registry.current().ifPresentOrElse(
                k -> LOG.infof("current escrow key %s (%d of %d): %s", k.keyId(), k.threshold(),
                        k.parameters().custodians(), Hex.toHexString(k.publicKeyBytes())),
                () -> LOG.warn("no escrow key exists yet: run 'escrowctl ceremony' against the configured tokens"));
        tokens.unavailable().forEach(f -> LOG.warnf("custodian %s is unavailable: %s", f.custodianId(), f.problem()));
        if (settings.consent() == EscrowSettings.Consent.REQUIRED) {
            LOG.info("custodian consent required: the service holds no custodian PIN; recovery needs t custodians' "
                    + "activations for the warrant (CustodianService.ActivateShare)");
        }
        writePidFile(settings);
    }

    /** For operators and escrowctl load (RSS): which process serves this data directory. */
    private static void writePidFile(EscrowSettings settings) {
        try {
            java.nio.file.Files.createDirectories(settings.dataDir());
            java.nio.file.Files.writeString(settings.dataDir().resolve("escrow.pid"), ProcessHandle.current().pid() + "\n");
        } catch (java.io.IOException e) {
            LOG.warnf("cannot write %s: %s", settings.dataDir().resolve("escrow.pid"), e.getMessage());
        }
    }
}
