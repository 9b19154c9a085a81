package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.AgentListActivationsRequest;
import io.escrow.proto.v1.CustodianAgentGrpc;
import io.escrow.proto.v1.DescribeAgentRequest;
import io.escrow.proto.v1.PartialsRequest;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A custodian agent process on mutual TLS: the escrow service's certificate may call everything,
 * the custodian's own certificate may consent and list but never ask for partials, and any other
 * certificate from the same CA is refused before the agent sees the call.
 */
class CustodianAgentTlsSystemTest {
    private static Process agent;
    private static TestPki pki;
    private static int port;
    private static final List<ManagedChannel> CHANNELS = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Path root = Files.createTempDirectory("escrow-agent-tls-");
        Path dataDir = root.resolve("data");
        Process provision = new ProcessBuilder(ServiceProcess.REPO.resolve("hsm-config/provision-softhsm.sh").toString(), "--dir",
                dataDir.resolve("hsm").toString(), "--custodians", "1", "--no-audit").redirectErrorStream(true).start();
        assertEquals(0, provision.waitFor(), new String(provision.getInputStream().readAllBytes()));
        pki = new TestPki(root.resolve("pki"), "custodian-1-pki");
        TestPki.Issued server = pki.issue("agent", "CN=custodian-1-agent", true);
        pki.issue("service", "CN=escrow-service,O=Escrow Operator", false);
        pki.issue("custodian", "CN=custodian-1,O=Custodian One", false);
        pki.issue("stranger", "CN=someone-else", false);
        Path authorities = Files.createDirectories(root.resolve("authorities"));
        Files.copy(pki.caPem(), authorities.resolve("court.pem"));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        Path logKey = Files.write(root.resolve("log-key.der"), g.generateKeyPair().getPublic().getEncoded());
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = root.resolve("agent.log");
        ProcessBuilder pb = new ProcessBuilder(ServiceProcess.LAUNCHER.toString(), "custodian", "serve", "--custodian", "custodian-1",
                "--listen", "127.0.0.1:" + port, "--pin-file", dataDir.resolve("hsm/pins/custodian-1.pin").toString(),
                "--authorities", authorities.toString(), "--custodian-ca", pki.caPem().toString(), "--log-key", logKey.toString(),
                "--state", root.resolve("state").toString(), "--tls-cert", server.cert().toString(), "--tls-key", server.key().toString(),
                "--tls-client-ca", pki.caPem().toString(), "--service-subject", "CN=escrow-service,O=Escrow Operator",
                "--custodian-subject", "CN=custodian-1,O=Custodian One").redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("ESCROW_DATA_DIR", dataDir.toString());
        pb.environment().remove("SOFTHSM2_CONF");
        agent = pb.start();
        Instant deadline = Instant.now().plusSeconds(60);
        while (!Files.readString(log).contains("serving on port")) {
            if (!agent.isAlive() || Instant.now().isAfter(deadline)) {
                throw new AssertionError("agent did not start:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        assertTrue(Files.readString(log).contains("(mutual TLS)"), Files.readString(log));
    }

    @AfterAll
    static void stop() {
        CHANNELS.forEach(ManagedChannel::shutdownNow);
        if (agent != null) {
            agent.destroyForcibly();
        }
    }

    private static CustodianAgentGrpc.CustodianAgentBlockingStub as(String who) throws Exception {
        ManagedChannel ch = Grpc.newChannelBuilder("localhost:" + port, TlsChannelCredentials.newBuilder()
                .trustManager(pki.caPem().toFile())
                .keyManager(pki.dir.resolve(who + ".crt").toFile(), pki.dir.resolve(who + ".key").toFile()).build()).build();
        CHANNELS.add(ch);
        return CustodianAgentGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    private static void denied(Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.getStatus().toString());
    }

    @Test
    void theService_mayCallEverything_andItsPartialRequestsReachTheAgentsOwnChecks() throws Exception {
        assertEquals("custodian-1", as("service").describe(DescribeAgentRequest.getDefaultInstance()).getCustodianId());
        var service = as("service");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> service.computePartials(PartialsRequest.newBuilder().setWarrantId("w-none").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), "past authorization, refused by the agent: " + e.getStatus());
    }

    @Test
    void theCustodian_mayListAndDescribe_butNeverAskForPartialsOrRevoke() throws Exception {
        var custodian = as("custodian");
        assertEquals(0, custodian.listActivations(AgentListActivationsRequest.getDefaultInstance()).getActivationsCount());
        denied(() -> custodian.computePartials(PartialsRequest.newBuilder().setWarrantId("w-none").build()));
        denied(() -> custodian.revokeWarrant(io.escrow.proto.v1.AgentRevokeWarrantRequest.newBuilder().setWarrantId("w-none").build()));
    }

    @Test
    void anyOtherCertificate_fromTheSameCa_isRefused() throws Exception {
        var stranger = as("stranger");
        denied(() -> stranger.describe(DescribeAgentRequest.getDefaultInstance()));
        denied(() -> stranger.computePartials(PartialsRequest.newBuilder().setWarrantId("w-none").build()));
    }
}
