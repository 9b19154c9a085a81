package io.escrow.app;

import io.escrow.config.EscrowSettings;
import io.escrow.deposit.DepositLog;
import io.escrow.storage.Database;
import io.escrow.storage.DatabaseSettings;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import io.escrow.hpke.HpkeSuite;
import io.escrow.hsm.CustodianTokens;
import io.escrow.hsm.SoftHsmProvisioner;
import io.escrow.keys.FileKeyRegistry;
import io.escrow.keys.KeyRegistry;
import io.escrow.threshold.ThresholdDecryptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

/**
 * The one place where the service's HSM access, key registry and threshold decryptor are built.
 * In the embedded mode, tokens are provisioned here, before the PKCS#11 library is first loaded.
 */
@ApplicationScoped
public class EscrowRuntime {
    private static final Logger LOG = Logger.getLogger(EscrowRuntime.class);

    @Produces
    @Singleton
    EscrowSettings settings() {
        return EscrowSettings.load(key -> ConfigProvider.getConfig().getOptionalValue(key, String.class));
    }

    @Produces
    @Singleton
    CustodianTokens custodianTokens(EscrowSettings settings) {
        if (settings.hsmMode() == EscrowSettings.HsmMode.EMBEDDED) {
            SoftHsmProvisioner.requireSoftHsmConf(settings.softHsmConf());
            SoftHsmProvisioner.provision(settings.hsmDir(), settings.custodians().size(), List.of(), true, LOG::info);
        }
        return new CustodianTokens(settings.custodians(), LOG::info);
    }

    void closeTokens(@Disposes CustodianTokens tokens) {
        tokens.close();
    }

    @Produces
    @Singleton
    KeyRegistry keyRegistry(EscrowSettings settings) {
        return new FileKeyRegistry(settings.keyDir());
    }

    @Produces
    @Singleton
    Database database(EscrowSettings settings) {
        return Database.open(DatabaseSettings.load(
                key -> ConfigProvider.getConfig().getOptionalValue(key, String.class), settings.dataDir()), LOG::info);
    }

    void closeDatabase(@Disposes Database db) {
        db.close();
    }

    @Produces
    @Singleton
    DepositLog depositLog(Database db, MeterRegistry meters) {
        return new DepositLog(db, meters, Clock.systemUTC(), LOG::warn);
    }

    void closeDepositLog(@Disposes DepositLog log) {
        log.close();
    }

    @Produces
    @Singleton
    ThresholdDecryptor thresholdDecryptor() {
        return new ThresholdDecryptor(HpkeSuite.P256_SHA256_AES256GCM);
    }
}
