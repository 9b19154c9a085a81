package io.escrow.app;

import io.escrow.agent.CustodianAgentCore;
import io.escrow.audit.AuditWriter;
import io.escrow.cms.TrustAnchors;
import io.escrow.config.ConfigurationException;
import io.escrow.config.EscrowSettings;
import io.escrow.consent.AgentConsents;
import io.escrow.consent.AgentLink;
import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.hsm.TokenConfig;
import io.escrow.keys.KeyRegistry;
import io.escrow.threshold.SecretScalar;
import io.escrow.threshold.ShareToken;
import io.escrow.transport.AgentServer;
import io.escrow.transport.GrpcAgentLink;
import io.escrow.warrant.DemoAuthorities;
import io.escrow.warrant.WarrantService;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.bouncycastle.math.ec.ECPoint;
import org.jboss.logging.Logger;

/**
 * Whether custodians are agent-backed, and the links to their agents:
 *
 * <pre>
 * escrow.custodians.ID.agent            host:port of custodian ID's agent (all custodians or none)
 * escrow.custodians.ID.agent-tls-ca     CA (PEM) the agent's certificate must chain to; enables TLS
 * escrow.custodians.ID.agent-tls-cert   the service's client certificate toward that agent (PEM)
 * escrow.custodians.ID.agent-tls-key    its key (PEM PKCS#8)
 * escrow.custodian.agent-timeout        deadline of each agent call (default PT10S)
 * escrow.embedded.agents                embedded mode with consent required (default true): run one
 *                                       agent per SoftHSM custodian token in this process, on loopback,
 *                                       reached over gRPC like a remote one; false keeps the in-service
 *                                       token path (custodians send their PINs to ActivateShare)
 * </pre>
 */
public final class CustodianAgents implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CustodianAgents.class);

    private final AgentConsents consents;
    private final io.escrow.consent.KeyAttestations attestations;
    private final List<AutoCloseable> embedded;
    private final List<AgentLink> links;
    private final TrustAnchors custodianCas;

    private CustodianAgents(AgentConsents consents, io.escrow.consent.KeyAttestations attestations, List<AutoCloseable> embedded,
                            List<AgentLink> links, TrustAnchors custodianCas) {
        this.consents = consents;
        this.attestations = attestations;
        this.embedded = embedded;
        this.links = List.copyOf(links);
        this.custodianCas = custodianCas;
    }

    /** The links to every custodian's agent (empty when custodians are not agent-backed). */
    public List<AgentLink> links() {
        return links;
    }

    /** The custodians' CAs, when known: their agents' signed statements are checked against them. */
    public TrustAnchors custodianCas() {
        return custodianCas;
    }

    public Optional<AgentConsents> consents() {
        return Optional.ofNullable(consents);
    }

    /** With agent-backed custodians: which key is served as current, by the agents' attestations. */
    public Optional<io.escrow.consent.KeyAttestations> attestations() {
        return Optional.ofNullable(attestations);
    }

    static CustodianAgents load(EscrowSettings settings, Function<String, Optional<String>> config, TrustAnchors authorities,
                                WarrantService warrants, KeyRegistry keys, AuditWriter audit,
                                io.micrometer.core.instrument.MeterRegistry meters,
                                java.util.function.Supplier<io.escrow.agent.LogEvidence> embeddedLog, io.escrow.storage.Database db,
                                java.util.function.Supplier<TrustAnchors> configuredCustodianCas,
                                io.escrow.keys.RetiredKeys retired, io.escrow.config.TokenSessions sessions,
                                DevelopmentTokenLatency latency) {
        List<String> ids = settings.custodians().stream().map(TokenConfig::custodianId).toList();
        Duration timeout = config.apply("escrow.custodian.agent-timeout").map(Duration::parse).orElse(Duration.ofSeconds(10));
        // The embedded default with consent required: agents, so development runs the production path.
        boolean embeddedAgents = settings.hsmMode() == EscrowSettings.HsmMode.EMBEDDED
                && settings.consent() == EscrowSettings.Consent.REQUIRED
                && config.apply("escrow.embedded.agents").map(Boolean::parseBoolean).orElse(true);
        List<String> configured = ids.stream().filter(id -> config.apply("escrow.custodians." + id + ".agent").isPresent()).toList();
        if (!configured.isEmpty() && configured.size() != ids.size()) {
            throw new ConfigurationException("escrow.custodians.<id>.agent is set for " + configured + " but not for every "
                    + "custodian " + ids + ": agent-backed custodians are all or none");
        }
        List<AgentLink> links = new ArrayList<>();
        List<AutoCloseable> started = new ArrayList<>();
        TrustAnchors custodianCas = TrustAnchors.none();
        if (embeddedAgents && configured.isEmpty()) {
            custodianCas = DemoAuthorities.ensure(settings.dataDir(), ids, LOG::info);
            for (TokenConfig token : settings.custodians()) {
                AgentServer server = startEmbedded(settings, token, authorities, custodianCas, warrants, embeddedLog.get(), started,
                        Math.min(sessions.of(token.custodianId()), CustodianAgentCore.MAX_SESSIONS), latency);
                links.add(new GrpcAgentLink(token.custodianId(), "127.0.0.1:" + server.port(), Optional.empty(), timeout, meters));
            }
            LOG.warnf("DEVELOPMENT MODE: custodian agents run inside this process on loopback (%s), with the PIN files "
                    + "under %s; in production each custodian runs 'escrowctl custodian serve' beside its own token",
                    links.stream().map(AgentLink::target).toList(), settings.hsmDir());
        } else {
            for (String id : configured) {
                String prefix = "escrow.custodians." + id + ".";
                Optional<GrpcAgentLink.Tls> tls = config.apply(prefix + "agent-tls-ca").map(ca -> new GrpcAgentLink.Tls(Path.of(ca),
                        Path.of(config.apply(prefix + "agent-tls-cert").orElseThrow(() -> new ConfigurationException(
                                prefix + "agent-tls-cert is required with " + prefix + "agent-tls-ca"))),
                        Path.of(config.apply(prefix + "agent-tls-key").orElseThrow(() -> new ConfigurationException(
                                prefix + "agent-tls-key is required with " + prefix + "agent-tls-ca")))));
                if (tls.isEmpty()) {
                    LOG.warnf("custodian %s: its agent is reached in PLAINTEXT (set %sagent-tls-ca for mutual TLS)", id, prefix);
                }
                links.add(new GrpcAgentLink(id, config.apply(prefix + "agent").orElseThrow(), tls, timeout, meters));
            }
        }
        if (links.isEmpty()) {
            return new CustodianAgents(null, null, List.of(), List.of(), TrustAnchors.none());
        }
        if (settings.consent() != EscrowSettings.Consent.REQUIRED) {
            links.forEach(AgentLink::close);
            started.forEach(CustodianAgents::closeQuietly);
            throw new ConfigurationException("agent-backed custodians need escrow.custodian.consent=required");
        }
        LOG.infof("custodians are agent-backed: %s", links);
        AgentConsents consents = new AgentConsents(links, warrants, keys, audit, LOG::warn);
        if (custodianCas.isEmpty()) {
            custodianCas = configuredCustodianCas.get();
        }
        if (custodianCas.isEmpty()) {
            LOG.warn("no custodian CA is configured (escrow.custodians.<id>.trust-anchor): key attestations are served "
                    + "without the service checking their signatures; providers must check them against their pinned certificates");
        }
        return new CustodianAgents(consents, new io.escrow.consent.KeyAttestations(db, keys, consents, custodianCas,
                java.time.Clock.systemUTC(), LOG::warn, retired), started, links, custodianCas);
    }

    /** One in-process agent on loopback, whose token is logged in at its first use (after the startup ceremony). */
    private static AgentServer startEmbedded(EscrowSettings settings, TokenConfig token, TrustAnchors authorities,
                                             TrustAnchors custodianCas, WarrantService warrants, io.escrow.agent.LogEvidence log,
                                             List<AutoCloseable> started, int sessions, DevelopmentTokenLatency latency) {
        LazyToken lazy = new LazyToken(token);
        CustodianAgentCore core = new CustodianAgentCore(token.custodianId(), latency.apply(lazy), authorities, warrants.policy(),
                custodianCas.only(token.custodianId()), log, Optional.of(demoSigner(settings, token.custodianId())),
                settings.dataDir().resolve("agents").resolve(token.custodianId()).resolve("journal"), Clock.systemUTC(), sessions);
        AgentServer server = AgentServer.start(core, "127.0.0.1", 0, Optional.empty());
        started.add(server);
        started.add(core);
        started.add(lazy);
        return server;
    }

    /** The demo custodian's signer, which in development also signs its agent's key attestations. */
    private static io.escrow.agent.KeyAttestor.Signer demoSigner(EscrowSettings settings, String custodianId) {
        try {
            return new io.escrow.agent.KeyAttestor.Signer(
                    io.escrow.cms.PemFiles.readPrivateKey(DemoAuthorities.signerKey(settings.dataDir(), custodianId)),
                    TrustAnchors.readCertificates("demo custodian " + custodianId,
                            DemoAuthorities.signerCertificate(settings.dataDir(), custodianId)));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read the demo signer of " + custodianId, e);
        }
    }

    /**
     * A custodian token opened at its first use: a PKCS#11 login belongs to the process and slot,
     * so it must not happen before the startup ceremony has logged in and out of the same slot.
     */
    private static final class LazyToken implements ShareToken, AutoCloseable {
        private final TokenConfig config;
        private Pkcs11ShareToken token;

        LazyToken(TokenConfig config) {
            this.config = config;
        }

        private synchronized Pkcs11ShareToken token() {
            if (token == null) {
                token = Pkcs11ShareToken.open(config);
            }
            return token;
        }

        @Override
        public String custodianId() {
            return config.custodianId();
        }

        @Override
        public boolean hasShare(String keyId) {
            return token().hasShare(keyId);
        }

        @Override
        public void importShare(String keyId, SecretScalar share, ECPoint publicShare) {
            token().importShare(keyId, share, publicShare);
        }

        @Override
        public void deleteShare(String keyId) {
            token().deleteShare(keyId);
        }

        @Override
        public byte[] deriveX(String keyId, ECPoint point) {
            return token().deriveX(keyId, point);
        }

        @Override
        public synchronized void close() {
            if (token != null) {
                token.close();
            }
        }
    }

    @Override
    public void close() {
        if (consents != null) {
            consents.close();
        }
        embedded.forEach(CustodianAgents::closeQuietly);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.debugf("closing %s: %s", c, e.getMessage());
        }
    }
}
