package io.escrow.app;

import io.escrow.config.EscrowSettings;
import io.escrow.deposit.DepositLog;
import io.escrow.storage.Database;
import io.escrow.storage.DatabaseSettings;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import io.escrow.hpke.HpkeSuite;
import io.escrow.hsm.CustodianTokens;
import io.escrow.hsm.SoftHsmProvisioner;
import io.escrow.keys.FileKeyRegistry;
import io.escrow.keys.KeyRegistry;
import io.escrow.threshold.ThresholdDecryptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import io.escrow.audit.AuditReader;
import io.escrow.audit.AuditTree;
import io.escrow.audit.AuditWriter;
import io.escrow.hsm.AuditSigningKey;
import io.escrow.audit.SubjectHasher;
import io.escrow.cms.NamedAnchorsConfig;
import io.escrow.cms.TrustAnchors;
import io.escrow.recovery.CustodianAccess;
import io.escrow.recovery.RecoveryService;
import io.escrow.warrant.DemoAuthorities;
import io.escrow.warrant.WarrantLimits;
import io.escrow.warrant.WarrantPolicy;
import io.escrow.warrant.WarrantService;
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
        // With consent required the service logs in to no custodian token on its own.
        return new CustodianTokens(settings.consent() == EscrowSettings.Consent.REQUIRED ? List.of() : settings.custodians(), LOG::info);
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
    SubjectHasher subjectHasher(Database db) {
        return SubjectHasher.load(db);
    }

    @Produces
    @Singleton
    AuditWriter auditWriter(Database db) {
        return new AuditWriter(db, Clock.systemUTC());
    }

    @Produces
    @Singleton
    DepositLog depositLog(Database db, MeterRegistry meters) {
        return new DepositLog(db, meters, Clock.systemUTC(), new RateLimitedLog(LOG::warn, Duration.ofSeconds(10)));
    }

    /** escrow.authorities.NAME.trust-anchor; environment names resolve against the names escrow.warrant.policy lists. */
    static TrustAnchors configuredAuthorities() {
        java.util.List<String> policyNames = config("escrow.warrant.policy").map(v -> java.util.Arrays.stream(v.split(","))
                .map(String::strip).filter(n -> !n.isEmpty()).toList()).orElse(java.util.List.of());
        return NamedAnchorsConfig.load("escrow.authorities", ConfigProvider.getConfig().getPropertyNames(), EscrowRuntime::config,
                policyNames);
    }

    /** escrow.custodians.ID.trust-anchor; environment names resolve against the configured custodian ids. */
    static TrustAnchors configuredCustodianAnchors(EscrowSettings settings) {
        return NamedAnchorsConfig.load("escrow.custodians", ConfigProvider.getConfig().getPropertyNames(), EscrowRuntime::config,
                settings.custodians().stream().map(io.escrow.hsm.TokenConfig::custodianId).toList());
    }

    /**
     * Authorities from escrow.authorities.NAME.trust-anchor. With none configured, the embedded
     * development default creates the demo authorities court and ministry.
     */
    @Produces
    @Singleton
    @Named("authorities")
    TrustAnchors authorities(EscrowSettings settings, MeterRegistry meters) {
        TrustAnchors configured = configuredAuthorities();
        if (configured.isEmpty() && settings.hsmMode() == EscrowSettings.HsmMode.EMBEDDED) {
            TrustAnchors demo = DemoAuthorities.ensure(settings.dataDir(), LOG::info);
            LOG.warnf("DEVELOPMENT MODE: warrants are approved by the demo authorities %s; their signer keys are under %s",
                    demo.names(), DemoAuthorities.dir(settings.dataDir()));
            return demo;
        }
        if (configured.isEmpty()) {
            LOG.warn("no authority is configured (escrow.authorities.<name>.trust-anchor): no warrant can be approved");
        }
        watchRevocation("authority", "escrow.authorities", configured, meters);
        return configured;
    }

    /**
     * Says, per name, whether its signers' certificates are checked against CRLs, and exports
     * when each CRL file goes stale (escrow_crl_stale_at_seconds, a Unix time; NaN when the file
     * cannot be read), so that an alert fires before approvals start failing closed.
     */
    static void watchRevocation(String kind, String prefix, TrustAnchors anchors, MeterRegistry meters) {
        for (String name : anchors.names()) {
            anchors.revocation(name).ifPresentOrElse(crls -> {
                LOG.infof("%s %s: signer certificates are checked against the CRLs in %s", kind, name, crls.file());
                staleAtGauge(crls, kind, name, meters);
            }, () -> LOG.warnf("%s %s: no CRL configured (%s.%s.crl), so a revoked signer certificate is still accepted",
                    kind, name, prefix, name));
        }
    }

    /** The gRPC clients' CRLs (escrow.tls.client-crl), watched from startup like the signers'. */
    void watchClientRevocation(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent event,
                               io.escrow.transport.TransportSettings transport, MeterRegistry meters) {
        transport.clientCrls().ifPresent(crls -> {
            LOG.infof("gRPC client certificates are checked against the CRLs in %s", crls.file());
            staleAtGauge(crls, "tls-client", "clients", meters);
        });
    }

    private static void staleAtGauge(io.escrow.cms.RevocationLists crls, String kind, String name, MeterRegistry meters) {
        io.micrometer.core.instrument.Gauge.builder("escrow.crl.stale.at", crls, io.escrow.cms.RevocationLists::staleAtSeconds)
                .description("when the first CRL in this file passes its nextUpdate (Unix time)")
                .baseUnit("seconds").tag("kind", kind).tag("name", name).register(meters);
    }

    @Produces
    @Singleton
    WarrantService warrants(Database db, @Named("authorities") TrustAnchors authorities, SubjectHasher subjects,
                            MeterRegistry meters) {
        WarrantPolicy policy = WarrantPolicy.of(config("escrow.warrant.policy").orElse(null), authorities.names());
        LOG.infof("warrant policy: approvals required from %s", policy.required());
        return new WarrantService(db, authorities, policy, WarrantLimits.load(EscrowRuntime::config), subjects,
                Clock.systemUTC(), meters);
    }

    @Produces
    @Singleton
    RecoveryService recovery(Database db, WarrantService warrants, KeyRegistry keys, ThresholdDecryptor decryptor,
                             CustodianAccess custodians, SubjectHasher subjects, AuditTree tree, AuditReader log,
                             io.escrow.audit.WitnessQuorum quorum,
                             MeterRegistry meters, io.escrow.keys.RetiredKeys retired, CustodianAgents agents,
                             io.escrow.config.TokenSessions sessions) {
        // Agents derive a whole page before it is opened, so opening is host work only: one
        // record per core. In-service tokens derive while a record opens: as many records at once
        // as the tokens have sessions.
        int parallel = agents.consents().isPresent() ? Runtime.getRuntime().availableProcessors() : sessions.max();
        LOG.infof("recovery opens up to %d records of a page at once%s", parallel,
                agents.consents().isPresent() ? " (custodian agents derive the partials)" : "; token sessions " + sessions);
        return new RecoveryService(db, warrants, keys, decryptor, custodians, subjects, tree, log, quorum, Clock.systemUTC(), meters,
                retired, parallel);
    }

    @Produces
    @Singleton
    io.escrow.keys.RetiredKeys retiredKeys(Database db) {
        return new io.escrow.keys.RetiredKeys(db);
    }

    /**
     * The tree-head signing key in the audit token, opened (or generated there) on first use.
     * Replicas that start together take a database lock, so only one of them generates it.
     * {@code provisionedFirst} is unused but orders creation: see the body.
     */
    @Produces
    @Singleton
    AuditSigningKey auditSigningKey(EscrowSettings settings, Database db, CustodianTokens provisionedFirst) {
        // CustodianTokens provisions the embedded tokens: SoftHSM sees only tokens that exist
        // when its library first loads, so that must happen before this opens the audit token.
        return db.inTransaction("opening the audit signing key", c -> {
            try (var st = c.createStatement()) {
                st.execute("select pg_advisory_xact_lock(7162001)");
            }
            return AuditSigningKey.openOrCreate(settings.auditToken());
        });
    }

    void closeAuditSigningKey(@Disposes AuditSigningKey key) {
        key.close();
    }

    @Produces
    @Singleton
    AuditTree auditTree(Database db, jakarta.inject.Provider<AuditSigningKey> key) {
        String origin = config("escrow.audit.origin").orElse(DEFAULT_ORIGIN);
        return new AuditTree(db, key::get, origin, Clock.systemUTC());
    }

    @Produces
    @Singleton
    AuditReader auditReader(Database db) {
        return new AuditReader(db);
    }

    @Produces
    @Singleton
    io.escrow.witness.WitnessSettings witnessSettings() {
        return io.escrow.witness.WitnessSettings.load(ConfigProvider.getConfig().getPropertyNames(), EscrowRuntime::config);
    }

    @Produces
    @Singleton
    io.escrow.audit.WitnessRecords witnessRecords(Database db) {
        return new io.escrow.audit.WitnessRecords(db);
    }

    /** Recover's rule that releases are witnessed before keys leave (escrow.audit.witness-quorum). */
    @Produces
    @Singleton
    io.escrow.audit.WitnessQuorum witnessQuorum(AuditTree tree, io.escrow.audit.WitnessRecords records,
                                                io.escrow.witness.WitnessSettings settings, TreeHeadPublisher publisher) {
        return new io.escrow.audit.WitnessQuorum(tree, records, settings.keys(), settings.quorum(), settings.timeout(), publisher::publishSoon,
                Clock.systemUTC());
    }

    /** What following audit streams wait on: one head query per 50 ms per replica, however many follow. */
    @Produces
    @Singleton
    io.escrow.audit.AuditHeadWatcher auditHeadWatcher(AuditTree tree) {
        return new io.escrow.audit.AuditHeadWatcher(tree::committedSize, java.time.Duration.ofMillis(50));
    }

    void closeAuditHeadWatcher(@Disposes io.escrow.audit.AuditHeadWatcher watcher) {
        watcher.close();
    }

    /** C2SP checkpoint origin unless escrow.audit.origin names the deployment. */
    static final String DEFAULT_ORIGIN = "lawful-access-escrow/audit/v1";

    static java.util.Optional<String> config(String key) {
        return ConfigProvider.getConfig().getOptionalValue(key, String.class).map(String::strip).filter(v -> !v.isEmpty());
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
