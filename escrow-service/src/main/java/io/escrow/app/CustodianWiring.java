package io.escrow.app;

import io.escrow.audit.AuditTree;
import io.escrow.audit.AuditWriter;
import io.escrow.cms.TrustAnchors;
import io.escrow.config.EscrowSettings;
import io.escrow.consent.ActivationRegistry;
import io.escrow.hsm.AuditSigningKey;
import io.escrow.hsm.CustodianTokens;
import io.escrow.keys.KeyRegistry;
import io.escrow.recovery.CustodianAccess;
import io.escrow.storage.Database;
import io.escrow.threshold.ShareToken;
import io.escrow.warrant.DemoAuthorities;
import io.escrow.warrant.WarrantService;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.time.Clock;
import org.jboss.logging.Logger;

/**
 * How the service reaches its custodians, over the tokens {@link EscrowRuntime} opens: their
 * agents (remote, or in-process in development), their consents, the session bound and metrics
 * around each in-service token, and the ceremonies that go through the agents (key creation and
 * retirement).
 */
@ApplicationScoped
public class CustodianWiring {
    private static final Logger LOG = Logger.getLogger(CustodianWiring.class);

    @Produces
    @Singleton
    DevelopmentTokenLatency developmentTokenLatency(EscrowSettings settings) {
        return DevelopmentTokenLatency.load(settings, EscrowRuntime::config);
    }

    /** escrow.hsm.token.ID.sessions, or what each token reports it can hold. */
    @Produces
    @Singleton
    io.escrow.config.TokenSessions tokenSessions(EscrowSettings settings, CustodianTokens tokens) {
        // CustodianTokens provisions the embedded tokens first, so they can be asked.
        return io.escrow.config.TokenSessions.load(settings.custodians(), EscrowRuntime::config, io.escrow.hsm.Pkcs11Slots::maxSessions);
    }

    /**
     * Which tokens a recovery may use: with consent required, those of the custodians who
     * activated for the warrant; in development, the service's own logged-in tokens. Either way
     * each in-token ECDH is metered per custodian, and bounded by that token's sessions.
     */
    @Produces
    @Singleton
    CustodianAccess custodianAccess(EscrowSettings settings, CustodianTokens tokens, jakarta.inject.Provider<ActivationRegistry> activations,
                                    CustodianAgents agents, MeterRegistry meters, io.escrow.config.TokenSessions sessions,
                                    DevelopmentTokenLatency latency) {
        if (agents.consents().isPresent()) {
            return agents.consents().get();
        }
        // One wrapper per custodian, replaced when its session (token object) changes, so ended
        // sessions are not kept alive here. The session permits stay with the custodian.
        java.util.Map<String, java.util.concurrent.Semaphore> permits = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.Map<String, SessionBoundShareToken> wrapped = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.function.Function<java.util.List<ShareToken>, java.util.List<ShareToken>> wrap = list -> list.stream()
                .map(t -> (ShareToken) wrapped.compute(t.custodianId(), (id, w) -> w != null && w.wraps(t) ? w
                        : new SessionBoundShareToken(t, new MeteredShareToken(latency.apply(t), meters),
                                permits.computeIfAbsent(id, k -> new java.util.concurrent.Semaphore(sessions.of(k))))))
                .toList();
        CustodianAccess access = settings.consent() == EscrowSettings.Consent.STANDING_PINS
                ? CustodianAccess.standing(tokens::available) : activations.get();
        return access.mapTokens(wrap::apply);
    }

    /** Agent-backed custodians (escrow.custodians.ID.agent, or in-process agents in the embedded mode). */
    @Produces
    @Singleton
    CustodianAgents custodianAgents(EscrowSettings settings, @Named("authorities") TrustAnchors authorities,
                                    WarrantService warrants, KeyRegistry keys, AuditWriter audit, MeterRegistry meters,
                                    jakarta.inject.Provider<AuditSigningKey> logKey, AuditTree tree, Database db,
                                    io.escrow.witness.WitnessSettings witnesses, io.escrow.keys.RetiredKeys retired,
                                    io.escrow.config.TokenSessions sessions, DevelopmentTokenLatency latency) {
        // In-process agents pin this process's own audit key and origin, and require the
        // service's own witness quorum (development only).
        return CustodianAgents.load(settings, EscrowRuntime::config, authorities, warrants, keys, audit, meters,
                () -> new io.escrow.agent.LogEvidence(io.escrow.agent.LogEvidence.readKey(logKey.get().publicKeySpki()),
                        java.util.Optional.of(tree.origin()), 0,
                        new io.escrow.agent.WitnessPolicy(witnesses.keys(), witnesses.quorum())), db,
                () -> EscrowRuntime.configuredCustodianAnchors(settings), retired, sessions, latency);
    }

    /** Key retirement goes through the custodians' agents; without agents there is none to ask. */
    @Produces
    @Singleton
    java.util.Optional<io.escrow.retirement.KeyRetirement> keyRetirement(CustodianAgents agents, KeyRegistry keys, Database db,
                                                                          AuditWriter audit, io.escrow.keys.RetiredKeys retired) {
        if (agents.links().isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new io.escrow.retirement.KeyRetirement(agents.links(), keys,
                () -> agents.attestations().flatMap(a -> a.current().map(x -> x.key())).or(keys::current), retired, db, audit,
                agents.custodianCas(), Clock.systemUTC(), LOG::info));
    }

    /** A new key's ceremony goes through the custodians' agents, so that no one holds all the PINs. */
    @Produces
    @Singleton
    java.util.Optional<io.escrow.ceremony.AgentKeyCeremony> agentKeyCeremony(CustodianAgents agents, KeyRegistry keys, AuditWriter audit,
                                                                          EscrowSettings settings) {
        if (agents.links().isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new io.escrow.ceremony.AgentKeyCeremony(agents.links(), keys, audit, agents.custodianCas(),
                settings.threshold(), Clock.systemUTC(), LOG::info));
    }

    void closeCustodianAgents(@Disposes CustodianAgents agents) {
        agents.close();
    }

    /** Custodian consent (escrow.custodians.NAME.trust-anchor, escrow.custodian.max-activation-ttl). */
    @Produces
    @Singleton
    @jakarta.enterprise.inject.Typed(ActivationRegistry.class)
    ActivationRegistry activations(EscrowSettings settings, WarrantService warrants, KeyRegistry keys, Database db,
                                   MeterRegistry meters) {
        TrustAnchors anchors = EscrowRuntime.configuredCustodianAnchors(settings);
        EscrowRuntime.watchRevocation("custodian", "escrow.custodians", anchors, meters);
        if (anchors.isEmpty() && settings.hsmMode() == EscrowSettings.HsmMode.EMBEDDED) {
            // Development: demo custodian CAs and signers next to the demo authorities, so that the
            // demo can show the consent step when consent is required.
            anchors = DemoAuthorities.ensure(settings.dataDir(),
                    settings.custodians().stream().map(io.escrow.hsm.TokenConfig::custodianId).toList(), LOG::info);
        }
        java.time.Duration maxTtl = EscrowRuntime.config("escrow.custodian.max-activation-ttl").map(java.time.Duration::parse)
                .orElse(java.time.Duration.ofHours(24));
        java.time.Duration lockWait = EscrowRuntime.config("escrow.custodian.activation-lock-wait").map(java.time.Duration::parse)
                .orElse(java.time.Duration.ofSeconds(10));
        return new ActivationRegistry(settings.custodians(), anchors, warrants, keys, db, Clock.systemUTC(), maxTtl, lockWait);
    }

    void closeActivations(@Disposes ActivationRegistry registry) {
        registry.close();
    }
}
