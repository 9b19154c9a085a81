package io.escrow.cli;

import io.escrow.agent.CustodianAgentCore;
import io.escrow.cms.TrustAnchors;
import io.escrow.config.ConfigurationException;
import io.escrow.config.EscrowSettings;
import io.escrow.hsm.PinSource;
import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.hsm.TokenConfig;
import io.escrow.transport.AgentServer;
import io.escrow.warrant.WarrantPolicy;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** escrowctl custodian: what a custodian runs on its own machine, beside its own token. */
@Command(name = "custodian", mixinStandardHelpOptions = true,
        description = "Custodian tools: run your agent beside your token, review warrants, give or withdraw consent, consent to retiring a key.",
        subcommands = {CustodianCommand.Serve.class, CustodianReviewCommand.class, CustodianConsentCommands.Activate.class,
                CustodianConsentCommands.Deactivate.class, CustodianConsentCommands.ListCommand.class, KeyRetirementCommands.Consent.class, KeyCeremonyCommands.Consent.class,
                CommandLine.HelpCommand.class})
final class CustodianCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
        header = "Run this custodian's agent beside its own token.",
            description = {"Run this custodian's agent (gRPC escrow.v1.CustodianAgent). It logs in to the custodian's",
                    "own token with a PIN that never leaves this process, and computes partial ECDHs only for",
                    "warrants whose approvals it verifies against --authorities itself, under consents signed",
                    "by a certificate from --custodian-ca, for records whose deposit and release leaves are proven",
                    "in a checkpoint signed by --log-key. Its counts live in --state, forced to disk."})
    static final class Serve implements Callable<Integer> {
        @Option(names = "--custodian", required = true, description = "Your custodian id, for example custodian-1.")
        String custodianId;

        @Option(names = "--listen", defaultValue = "127.0.0.1:9101", description = "host:port to serve on (default: ${DEFAULT-VALUE})")
        String listen;

        @Option(names = "--token-library", description = "PKCS#11 library (default: ${DEFAULT-VALUE})")
        Path library = EscrowSettings.DEFAULT_LIBRARY;

        @Option(names = "--token-label", description = "label of the custodian's token (default: the custodian id)")
        String label;

        @Option(names = "--pin-file", description = "file holding the token PIN (mode 0600)")
        Path pinFile;

        @Option(names = "--pin-env", description = "An environment variable holding the token PIN.")
        String pinEnv;

        @Option(names = "--authorities", required = true,
                description = "Your own directory of the authorities' CA certificates, <name>.pem, each with an optional <name>.crl.")
        Path authorities;

        @Option(names = "--policy", description = "authority names a warrant needs, comma-separated (default: all in --authorities)")
        String policy;

        @Option(names = "--custodian-ca", required = true, description = "The CA certificate (PEM) of your own signing certificates.")
        Path custodianCa;

        @Option(names = "--log-key", required = true,
                description = "the audit log's tree-head public key (DER SubjectPublicKeyInfo, as GetTreeHead gives it, or PEM)")
        Path logKey;

        @CommandLine.Mixin
        WitnessOptions witnesses = new WitnessOptions();

        @Option(names = "--log-origin", description = "the checkpoint origin to require (default: any origin signed by --log-key)")
        String logOrigin;

        @Option(names = "--legacy-deposits-below", defaultValue = "0",
                description = "accept deposit leaves below this index that predate payload_sha256 (default: none)")
        long legacyDepositsBelow;

        @Option(names = "--attest-cert", description = "The certificate (PEM, chaining to --custodian-ca) that signs key attestations.")
        Path attestCert;

        @Option(names = "--attest-key", description = "its private key (PEM PKCS#8)")
        Path attestKey;

        @Option(names = "--state", description = "directory of the agent's journal (default: ./custodian-agent-<id>)")
        Path state;

        @Option(names = "--sessions", defaultValue = "1", description = "token sessions a page of partials uses at once, 1.."
                + CustodianAgentCore.MAX_SESSIONS + ": "
                + "raise it for a network HSM, which answers each ECDH after a round trip but serves sessions in parallel "
                + "(default: ${DEFAULT-VALUE})")
        int sessions;

        @Option(names = "--tls-cert", description = "the agent's TLS certificate (PEM)")
        Path tlsCert;

        @Option(names = "--tls-key", description = "the agent's TLS key (PEM PKCS#8)")
        Path tlsKey;

        @Option(names = "--tls-client-ca", description = "The CA (PEM) that callers' certificates must chain to.")
        Path tlsClientCa;

        @Option(names = "--service-subject", description = "The subject of the escrow service's client certificate, which may call every method "
                + "(repeatable; required with TLS).")
        java.util.List<String> serviceSubjects = new java.util.ArrayList<>();

        @Option(names = "--custodian-subject", description = "The subject of your own client certificate, which may consent, deactivate and list, "
                + "but never ask for partials (repeatable).")
        java.util.List<String> custodianSubjects = new java.util.ArrayList<>();

        @Override
        public Integer call() throws Exception {
            try (Running running = start()) {
                System.out.println("custodian agent " + custodianId + " serving on port " + running.server().port()
                        + (tlsCert == null ? " (plaintext, loopback only: development)" : " (mutual TLS)"));
                Runtime.getRuntime().addShutdownHook(new Thread(running::close));
                running.server().awaitTermination();
            }
            return 0;
        }

        private static java.util.Set<javax.security.auth.x500.X500Principal> subjects(String option, java.util.List<String> names) {
            java.util.Set<javax.security.auth.x500.X500Principal> out = new java.util.HashSet<>();
            for (String n : names) {
                try {
                    out.add(new javax.security.auth.x500.X500Principal(n));
                } catch (IllegalArgumentException e) {
                    throw new ConfigurationException(option + ": '" + n + "' is not a distinguished name (e.g. CN=escrow,O=Operator)");
                }
            }
            return out;
        }

        private Optional<io.escrow.agent.KeyAttestor.Signer> attestationSigner() {
            if ((attestCert == null) != (attestKey == null)) {
                throw new ConfigurationException("give both --attest-cert and --attest-key, or neither");
            }
            if (attestCert == null) {
                return Optional.empty();
            }
            try {
                return Optional.of(new io.escrow.agent.KeyAttestor.Signer(io.escrow.cms.PemFiles.readPrivateKey(attestKey),
                        TrustAnchors.readCertificates("--attest-cert", attestCert)));
            } catch (java.io.IOException e) {
                throw new ConfigurationException("--attest-key: cannot read " + attestKey + ": " + e.getMessage());
            }
        }

        /** The agent and its server, closed together. */
        record Running(CustodianAgentCore agent, AgentServer server, Pkcs11ShareToken token) implements AutoCloseable {
            @Override
            public void close() {
                server.close();
                agent.close();
                token.close();
            }
        }

        Running start() {
            if ((pinFile == null) == (pinEnv == null)) {
                throw new ConfigurationException("give exactly one of --pin-file and --pin-env");
            }
            if ((tlsCert == null) != (tlsKey == null) || (tlsCert == null) != (tlsClientCa == null)) {
                throw new ConfigurationException("give all of --tls-cert, --tls-key and --tls-client-ca, or none (loopback only)");
            }
            if (tlsCert != null && serviceSubjects.isEmpty()) {
                throw new ConfigurationException("with TLS, --service-subject must name the escrow service's client certificate");
            }
            java.util.Set<javax.security.auth.x500.X500Principal> service = subjects("--service-subject", serviceSubjects);
            java.util.Set<javax.security.auth.x500.X500Principal> own = subjects("--custodian-subject", custodianSubjects);
            int colon = listen.lastIndexOf(':');
            if (colon < 0) {
                throw new ConfigurationException("--listen must be host:port");
            }
            String host = listen.substring(0, colon);
            int port;
            try {
                port = Integer.parseInt(listen.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new ConfigurationException("--listen must be host:port");
            }
            AgentServer.listenAddress(host, tlsCert != null);
            TrustAnchors authorityAnchors = TrustAnchors.fromDirectory(authorities);
            TrustAnchors ownCa = new TrustAnchors(Map.of(custodianId, TrustAnchors.readCertificates("--custodian-ca", custodianCa)));
            io.escrow.agent.LogEvidence log;
            try {
                log = new io.escrow.agent.LogEvidence(io.escrow.agent.LogEvidence.readKey(java.nio.file.Files.readAllBytes(logKey)),
                        Optional.ofNullable(logOrigin), legacyDepositsBelow, witnesses.policy());
            } catch (java.io.IOException e) {
                throw new ConfigurationException("--log-key: cannot read " + logKey + ": " + e.getMessage());
            }
            if (sessions < 1 || sessions > CustodianAgentCore.MAX_SESSIONS) {
                throw CliException.usage("--sessions must be 1.." + CustodianAgentCore.MAX_SESSIONS + ", got " + sessions);
            }
            PinSource pin = pinFile != null ? PinSource.file(pinFile) : PinSource.env(pinEnv);
            Pkcs11ShareToken token = Pkcs11ShareToken.open(new TokenConfig(custodianId, library,
                    label == null ? custodianId : label, pin));
            CustodianAgentCore agent;
            try {
                agent = new CustodianAgentCore(custodianId, token, authorityAnchors,
                        WarrantPolicy.of(policy, authorityAnchors.names()), ownCa, log, attestationSigner(),
                        (state == null ? Path.of("custodian-agent-" + custodianId) : state).resolve("journal"), Clock.systemUTC(),
                        sessions);
            } catch (RuntimeException e) {
                token.close();
                throw e;
            }
            Optional<AgentServer.Tls> tls = tlsCert == null ? Optional.empty()
                    : Optional.of(new AgentServer.Tls(tlsCert, tlsKey, tlsClientCa, service, own));
            try {
                return new Running(agent, AgentServer.start(agent, host, port, tls), token);
            } catch (RuntimeException e) {
                agent.close();
                token.close();
                throw e;
            }
        }
    }
}
