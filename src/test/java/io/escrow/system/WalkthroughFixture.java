package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.GetTreeHeadRequest;
import io.escrow.warrant.DemoAuthorities;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What docs/walkthrough.md assumes is in place: each party's files, the service over mutual TLS
 * configured from the document's {@code env service} block, three custodian agent processes
 * started from its {@code sh agent} command, custodian-1's smart card, and the providers' deposits.
 */
final class WalkthroughFixture {
    static final Path DOC = ServiceProcess.REPO.resolve("docs/walkthrough.md");
    private static final Map<String, String> SUBJECTS = Map.of("custodian-1", "CN=custodian-1,O=Custodian One",
            "custodian-2", "CN=custodian-2,O=Custodian Two", "custodian-3", "CN=custodian-3,O=Custodian Three");
    static Path root;
    private static Path dataDir;
    static ServiceProcess service;
    static final Map<String, Integer> AGENT_PORTS = new HashMap<>();
    private static final List<Process> AGENTS = new ArrayList<>();
    private static final List<ManagedChannel> CHANNELS = new ArrayList<>();

    /** The document's fenced blocks whose info string is exactly {@code info}. */
    static List<String> blocks(String doc, String info) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^```" + Pattern.quote(info) + "\\n(.*?)^```$", Pattern.DOTALL).matcher(doc);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private WalkthroughFixture() {}

    static void start() throws Exception {
        String doc = Files.readString(DOC);
        root = Files.createTempDirectory("escrow-walkthrough-");
        dataDir = root.resolve("service-data");
        DemoAuthorities.ensure(dataDir, List.of("court", "ministry", "custodian-1", "custodian-2", "custodian-3"), m -> {});
        parties();
        Map<String, String> env = new HashMap<>();
        List<String> serviceEnv = blocks(doc, "env service");
        assertEquals(1, serviceEnv.size(), "one service configuration block");
        for (String line : serviceEnv.get(0).split("\n")) {
            int eq = line.indexOf('=');
            env.put(line.substring(0, eq), line.substring(eq + 1).replace("${DIR}", root.toString()));
        }
        for (String id : SUBJECTS.keySet()) {
            try (ServerSocket s = new ServerSocket(0)) {
                AGENT_PORTS.put(id, s.getLocalPort());
            }
            env.put("ESCROW_CUSTODIANS_" + id.toUpperCase().replace('-', '_') + "_AGENT", "127.0.0.1:" + AGENT_PORTS.get(id));
        }
        service = ServiceProcess.launch(dataDir, root.resolve("service.log"), env);
        Instant deadline = Instant.now().plusSeconds(120);
        while (!Files.exists(root.resolve("service.log")) || !service.logText().contains("current escrow key")) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no ceremony:\n" + service.logText());
            }
            Thread.sleep(200);
        }
        byte[] logKey = retry(() -> AuditServiceGrpc.newBlockingStub(tls("overseer")).withDeadlineAfter(5, TimeUnit.SECONDS)
                .getTreeHead(GetTreeHeadRequest.getDefaultInstance()).getPublicKey().toByteArray());
        List<String> agent = blocks(doc, "sh agent");
        assertEquals(1, agent.size(), "one agent command");
        for (String id : SUBJECTS.keySet()) {
            Files.write(root.resolve(id).resolve("log-key.der"), logKey);
            Files.copy(dataDir.resolve("hsm/pins/" + id + ".pin"), root.resolve(id).resolve("token.pin"));
            startAgent(id, agent.get(0).replace("${ID}", id).replace("${PORT}", Integer.toString(AGENT_PORTS.get(id)))
                    .replace("${SUBJECT}", SUBJECTS.get(id)));
        }
        service.awaitReady(Duration.ofSeconds(120));
        smartCard();
        deposit();
    }

    /** Each party's own files, as the document's table lists them; the signers are the development PKI's. */
    private static void parties() throws Exception {
        TestPki pki = new TestPki(root.resolve("pki"), "walkthrough");
        Files.copy(pki.caPem(), root.resolve("pki/ca.pem"));
        pki.caTrustStore();
        pki.issue("server", "CN=localhost", true);
        pki.issue("escrow-service", "CN=escrow-service,O=Escrow Operator", false);
        pki.issue("acme", "CN=acme-messaging,O=Acme", false);
        pki.issue("agency", "CN=agency,O=Federal Agency", false);
        pki.issue("police", "CN=police,O=National Police", false);
        pki.issue("court", "CN=court,O=District Court", false);
        pki.issue("ministry", "CN=ministry,O=Ministry of Justice", false);
        pki.issue("overseer", "CN=overseer,O=Oversight Board", false);
        pki.issue("operator", "CN=operator,O=Escrow Operator", false);
        for (String id : SUBJECTS.keySet()) {
            pki.issue(id, SUBJECTS.get(id), false);
            pki.issue(id + "-agent", "CN=" + id + "-agent", true);
            Path dir = Files.createDirectories(root.resolve(id).resolve("authorities"));
            for (String a : List.of("court", "ministry")) {
                Files.copy(DemoAuthorities.dir(dataDir).resolve(a).resolve("ca.pem"), dir.resolve(a + ".pem"));
            }
            Files.copy(DemoAuthorities.dir(dataDir).resolve(id).resolve("ca.pem"), root.resolve(id).resolve("ca.pem"));
            Files.copy(DemoAuthorities.signerCertificate(dataDir, id), root.resolve(id).resolve("attest.pem"));
            Files.copy(DemoAuthorities.signerKey(dataDir, id), root.resolve(id).resolve("attest.key"));
        }
        for (String party : List.of("court", "ministry", "custodian-3")) {
            Files.createDirectories(root.resolve(party));
            Files.copy(DemoAuthorities.signerCertificate(dataDir, party), root.resolve(party).resolve("signer.pem"));
            Files.copy(DemoAuthorities.signerKey(dataDir, party), root.resolve(party).resolve("signer.key"));
        }
        Files.createDirectories(root.resolve("agency"));
        Files.createDirectories(root.resolve("overseer"));
    }

    private static void startAgent(String id, String command) throws Exception {
        Path log = root.resolve(id + "-agent.log");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "exec " + command.strip()).directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PATH", ServiceProcess.LAUNCHER.getParent() + ":" + System.getenv("PATH"));
        pb.environment().put("ESCROW_DATA_DIR", dataDir.toString());
        pb.environment().remove("SOFTHSM2_CONF");
        Process p = pb.start();
        AGENTS.add(p);
        Instant deadline = Instant.now().plusSeconds(60);
        while (!Files.exists(log) || !Files.readString(log).contains("serving on port")) {
            if (!p.isAlive() || Instant.now().isAfter(deadline)) {
                throw new AssertionError("agent " + id + " did not start:\n" + (Files.exists(log) ? Files.readString(log) : ""));
            }
            Thread.sleep(100);
        }
    }

    /**
     * custodian-1's smart card: a SoftHSM token of its own (not the service's), made and loaded
     * with its consent key and certificate by softhsm2-util, openssl and pkcs11-tool.
     */
    private static void smartCard() throws Exception {
        Path card = Files.createDirectories(root.resolve("card/tokens"));
        Files.writeString(root.resolve("card/softhsm2.conf"), "directories.tokendir = " + card + "\nobjectstore.backend = file\n");
        Files.writeString(root.resolve("custodian-1/card.pin"), "246810\n");
        Path key = DemoAuthorities.signerKey(dataDir, "custodian-1");
        Path cert = DemoAuthorities.signerCertificate(dataDir, "custodian-1");
        run("softhsm2-util", "--init-token", "--free", "--label", "custodian-1-card", "--pin", "246810", "--so-pin", "13579111");
        run("openssl", "pkey", "-in", key.toString(), "-outform", "DER", "-out", root.resolve("card/key.der").toString());
        run("openssl", "x509", "-in", cert.toString(), "-outform", "DER", "-out", root.resolve("card/cert.der").toString());
        for (String[] object : new String[][] {{"card/key.der", "privkey"}, {"card/cert.der", "cert"}}) {
            run("pkcs11-tool", "--module", "/usr/lib/softhsm/libsofthsm2.so", "--token-label", "custodian-1-card", "--login",
                    "--pin", "246810", "--write-object", root.resolve(object[0]).toString(), "--type", object[1], "--id", "01",
                    "--label", "consent");
        }
        Files.delete(root.resolve("card/key.der"));
    }

    private static void run(String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", root.resolve("card/softhsm2.conf").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
    }

    /** What the providers deposited: three records of alice's and one of bob's, through the provider's own certificate. */
    private static void deposit() throws Exception {
        var escrow = EscrowServiceGrpc.newBlockingStub(tls("acme"));
        EscrowKey key = retry(() -> escrow.withDeadlineAfter(5, TimeUnit.SECONDS).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()));
        for (String subject : List.of("alice@example.org", "alice@example.org", "alice@example.org", "bob@example.org")) {
            escrow.withDeadlineAfter(10, TimeUnit.SECONDS).deposit(CustodianAgentsSystemTest.sealed(key, subject));
        }
    }

    private interface Call<T> {
        T get() throws Exception;
    }

    private static <T> T retry(Call<T> call) throws Exception {
        Instant deadline = Instant.now().plusSeconds(90);
        while (true) {
            try {
                return call.get();
            } catch (StatusRuntimeException notYet) {
                if (Instant.now().isAfter(deadline)) {
                    throw notYet;
                }
                Thread.sleep(500);
            }
        }
    }

    static ManagedChannel tls(String party) throws Exception {
        ManagedChannel ch = NettyChannelBuilder.forAddress("localhost", service.grpcPort).sslContext(GrpcSslContexts.forClient()
                .trustManager(root.resolve("pki/ca.pem").toFile())
                .keyManager(root.resolve("pki/" + party + ".crt").toFile(), root.resolve("pki/" + party + ".key").toFile()).build())
                .build();
        CHANNELS.add(ch);
        return ch;
    }

    static void stop() throws Exception {
        CHANNELS.forEach(ManagedChannel::shutdownNow);
        AGENTS.forEach(Process::destroyForcibly);
        if (service != null) {
            service.close();
        }
    }

}
