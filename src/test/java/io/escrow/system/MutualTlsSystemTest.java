package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.GetTreeHeadRequest;
import io.escrow.proto.v1.GetWarrantRequest;
import io.escrow.proto.v1.ApproveWarrantRequest;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.RecoverRequest;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged service with gRPC over TLS and required client certificates: roles come from the
 * certificate, the recorded provider is the certificate's mapped name, and nothing else gets in.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class MutualTlsSystemTest {
    private static Path dataDir;
    private static ServiceProcess service;
    private static TestPki pki;
    private static TestPki rogue;
    private static final List<ManagedChannel> CHANNELS = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("escrow-mtls-");
        pki = new TestPki(dataDir.resolve("pki"), "escrow-test");
        rogue = new TestPki(dataDir.resolve("rogue"), "rogue");
        TestPki.Issued server = pki.issue("server", "CN=localhost", true);
        pki.issue("acme", "CN=acme-messaging,O=Acme", false);
        pki.issue("agency", "CN=federal-agency,O=Gov", false);
        pki.issue("stranger", "CN=stranger,O=Nowhere", false);
        pki.issue("revoked", "CN=former-provider,O=Gone", false);
        Path clientCrl = pki.crl(dataDir.resolve("clients.crl"), Duration.ofDays(1), "revoked");
        rogue.issue("impostor", "CN=acme-messaging,O=Acme", false);
        service = ServiceProcess.start(dataDir, dataDir.resolve("service.log"), Map.ofEntries(
                Map.entry("QUARKUS_GRPC_SERVER_PLAIN_TEXT", "false"),
                Map.entry("QUARKUS_GRPC_SERVER_SSL_CERTIFICATE", server.cert().toString()),
                Map.entry("QUARKUS_GRPC_SERVER_SSL_KEY", server.key().toString()),
                Map.entry("QUARKUS_GRPC_SERVER_SSL_TRUST_STORE", pki.caTrustStore().toString()),
                Map.entry("QUARKUS_GRPC_SERVER_SSL_TRUST_STORE_TYPE", "pkcs12"),
                Map.entry("QUARKUS_GRPC_SERVER_SSL_TRUST_STORE_PASSWORD", "trust"),
                Map.entry("QUARKUS_GRPC_SERVER_SSL_CLIENT_AUTH", "REQUIRED"),
                Map.entry("ESCROW_TLS_CLIENT_CRL", clientCrl.toString()),
                Map.entry("ESCROW_TLS_CLIENT_NAMES", "acme,agency,former"),
                Map.entry("ESCROW_TLS_CLIENT_FORMER_SUBJECT", "CN=former-provider,O=Gone"),
                Map.entry("ESCROW_TLS_CLIENT_FORMER_ROLE", "provider"),
                Map.entry("ESCROW_TLS_CLIENT_ACME_SUBJECT", "CN=acme-messaging, O=Acme"),
                Map.entry("ESCROW_TLS_CLIENT_ACME_ROLE", "provider"),
                Map.entry("ESCROW_TLS_CLIENT_AGENCY_SUBJECT", "CN=federal-agency,O=Gov"),
                Map.entry("ESCROW_TLS_CLIENT_AGENCY_ROLE", "agency")));
    }

    @AfterAll
    static void stop() throws Exception {
        CHANNELS.forEach(ManagedChannel::shutdownNow);
        if (service != null) {
            service.close();
        }
    }

    private static ManagedChannel tls(TestPki issuer, String client) throws Exception {
        SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(pki.caPem().toFile());
        if (client != null) {
            ssl.keyManager(issuer.dir.resolve(client + ".crt").toFile(), issuer.dir.resolve(client + ".key").toFile());
        }
        ManagedChannel ch = NettyChannelBuilder.forAddress("localhost", service.grpcPort).sslContext(ssl.build()).build();
        CHANNELS.add(ch);
        return ch;
    }

    private static EscrowServiceGrpc.EscrowServiceBlockingStub escrow(ManagedChannel ch) {
        return EscrowServiceGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    @Test
    void provider_depositsUnderItsCertificateIdentity_andNoDevelopmentModeWarning() throws Exception {
        var acme = escrow(tls(pki, "acme"));
        EscrowKey key = acme.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        DepositReceipt receipt = acme.deposit(EmbeddedServiceSystemTest.sealed(key, "mtls-1"));
        try (var c = DriverManager.getConnection(service.embeddedJdbcUrl());
             // The deposit leaf's actor is the row's provider (the leaf is rebuilt from the row, V12).
             var ps = c.prepareStatement("select d.provider, d.audit_index from deposits d where d.record_id = ?::uuid")) {
            ps.setString(1, receipt.getRecordId());
            try (var rs = ps.executeQuery()) {
                assertTrue(rs.next());
                assertEquals("acme", rs.getString(1));
                assertEquals(receipt.getAuditIndex(), rs.getLong(2));
            }
        }
        assertFalse(service.logText().contains("gRPC is PLAINTEXT"));
    }

    /** The provider SDK over mutual TLS: a receipt with the provider's certificate, and the cause named for wrong ones. */
    @Test
    void sdk_depositsWithTheProvidersCertificate_andNamesTheCauseForACertificateTheServiceRefuses() throws Exception {
        java.util.function.Function<String, io.escrow.client.DepositException.Reason> depositAs = name -> {
            TestPki issuer = name.equals("impostor") ? rogue : pki;
            var b = io.escrow.client.EscrowClient.builder().target("localhost:" + service.grpcPort)
                    .mutualTls(pki.caPem(), issuer.dir.resolve(name + ".crt"), issuer.dir.resolve(name + ".key"));
            for (String id : List.of("custodian-1", "custodian-2", "custodian-3")) {
                b.pinCustodian(id, io.escrow.warrant.DemoAuthorities.dir(dataDir).resolve(id).resolve("ca.pem"));
            }
            try (var client = b.build()) {
                var receipt = client.deposit("mtls-sdk-subject", java.time.Instant.ofEpochSecond(1_760_000_000L),
                        java.time.Instant.ofEpochSecond(1_760_003_600L), new byte[32], "mtls-sdk-" + name).get(60, TimeUnit.SECONDS);
                assertEquals("mtls-sdk-" + name, receipt.providerRecordId());
                return null;
            } catch (java.util.concurrent.ExecutionException e) {
                var failure = (io.escrow.client.DepositException) e.getCause();
                assertTrue(failure.getMessage().contains(failure.reason() == io.escrow.client.DepositException.Reason.TLS
                        ? "the TLS handshake failed" : "not mapped"), failure.getMessage());
                return failure.reason();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        assertEquals(null, depositAs.apply("acme"));
        assertEquals(io.escrow.client.DepositException.Reason.TLS, depositAs.apply("impostor"));
        assertEquals(io.escrow.client.DepositException.Reason.PERMISSION_DENIED, depositAs.apply("stranger"));
    }

    @Test
    void provider_callingAnythingButEscrowService_isPermissionDenied() throws Exception {
        ManagedChannel ch = tls(pki, "acme");
        var warrant = assertThrows(StatusRuntimeException.class, () -> WarrantServiceGrpc.newBlockingStub(ch)
                .getWarrant(GetWarrantRequest.newBuilder().setWarrantId("w-1").build()));
        assertEquals(Status.Code.PERMISSION_DENIED, warrant.getStatus().getCode());
        assertTrue(warrant.getStatus().getDescription().contains("acme"), warrant.getStatus().getDescription());
        var audit = assertThrows(StatusRuntimeException.class,
                () -> AuditServiceGrpc.newBlockingStub(ch).getTreeHead(GetTreeHeadRequest.getDefaultInstance()));
        assertEquals(Status.Code.PERMISSION_DENIED, audit.getStatus().getCode());
    }

    @Test
    void agency_cannotDeposit_butReachesWarrantService() throws Exception {
        ManagedChannel ch = tls(pki, "agency");
        var e = assertThrows(StatusRuntimeException.class, () -> escrow(ch).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()));
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        var w = assertThrows(StatusRuntimeException.class, () -> WarrantServiceGrpc.newBlockingStub(ch)
                .getWarrant(GetWarrantRequest.newBuilder().setWarrantId("w-1").build()));
        assertEquals(Status.Code.NOT_FOUND, w.getStatus().getCode(), "allowed through to the service");
    }

    @Test
    void wrongRoleCallers_areDeniedAndAudited() throws Exception {
        ManagedChannel provider = tls(pki, "acme");
        ManagedChannel agency = tls(pki, "agency");
        var file = assertThrows(StatusRuntimeException.class, () -> WarrantServiceGrpc.newBlockingStub(provider)
                .fileWarrant(FileWarrantRequest.getDefaultInstance()));
        assertEquals(Status.Code.PERMISSION_DENIED, file.getStatus().getCode());
        var recover = assertThrows(StatusRuntimeException.class, () -> RecoveryServiceGrpc.newBlockingStub(provider)
                .recover(RecoverRequest.newBuilder().setWarrantId("w-1").build()).hasNext());
        assertEquals(Status.Code.PERMISSION_DENIED, recover.getStatus().getCode());
        var approve = assertThrows(StatusRuntimeException.class, () -> WarrantServiceGrpc.newBlockingStub(agency)
                .approveWarrant(ApproveWarrantRequest.newBuilder().setWarrantId("w-1").build()));
        assertEquals(Status.Code.PERMISSION_DENIED, approve.getStatus().getCode());
        assertTrue(approve.getStatus().getDescription().contains("ApproveWarrant"), approve.getStatus().getDescription());
        try (var c = DriverManager.getConnection(service.embeddedJdbcUrl());
             var ps = c.prepareStatement("select actor, count(*) from audit_log where type = 'access_denied' group by actor")) {
            Map<String, Long> byActor = new java.util.HashMap<>();
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    byActor.put(rs.getString(1), rs.getLong(2));
                }
            }
            assertTrue(byActor.getOrDefault("acme", 0L) >= 2, byActor.toString());
            assertTrue(byActor.getOrDefault("agency", 0L) >= 1, byActor.toString());
        }
    }

    @Test
    void unmappedCertificate_isPermissionDenied() throws Exception {
        var e = assertThrows(StatusRuntimeException.class,
                () -> escrow(tls(pki, "stranger")).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()));
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("not mapped"), e.getStatus().getDescription());
    }

    @Test
    void certificateFromAnotherCa_noCertificate_andPlaintext_allFailTheHandshake() throws Exception {
        for (ManagedChannel ch : List.of(tls(rogue, "impostor"), tls(pki, null),
                ManagedChannelBuilder.forAddress("localhost", service.grpcPort).usePlaintext().build())) {
            CHANNELS.add(ch);
            var e = assertThrows(StatusRuntimeException.class, () -> escrow(ch).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
        }
    }

    @Test
    void metrics_sayWhenTheClientCrlGoesStale_fromStartup() throws Exception {
        String metrics = new String(java.net.URI.create("http://localhost:" + service.httpPort + "/q/metrics").toURL()
                .openStream().readAllBytes());
        // The packaged service's exposition ends a label set with a comma.
        assertTrue(java.util.regex.Pattern.compile("(?m)^escrow_crl_stale_at_seconds\\{kind=\"tls-client\",name=\"clients\",?\\} \\d")
                .matcher(metrics).find(), metrics);
    }

    /**
     * A mapped provider whose certificate the CA revoked is refused and audited under its name.
     * Runs last: it also revokes acme, which open connections notice within a second.
     */
    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE)
    void revokedClientCertificate_isPermissionDenied_andAudited_evenOnAnOpenConnection() throws Exception {
        var e = assertThrows(StatusRuntimeException.class,
                () -> escrow(tls(pki, "revoked")).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()));
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("client former: certificate 'CN=former-provider,O=Gone' was revoked"),
                e.getStatus().getDescription());
        var acme = escrow(tls(pki, "acme"));
        acme.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());

        pki.crl(dataDir.resolve("clients.crl"), Duration.ofDays(1), "revoked", "acme");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        StatusRuntimeException refused = null;
        while (refused == null && System.nanoTime() < deadline) {
            try {
                acme.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
                Thread.sleep(100);
            } catch (StatusRuntimeException r) {
                refused = r;
            }
        }
        assertTrue(refused != null, "acme's open connection is refused once the CRL lists it");
        assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode(), refused.getStatus().toString());
        try (var c = DriverManager.getConnection(service.embeddedJdbcUrl());
             var ps = c.prepareStatement("select count(*) from audit_log where type = 'access_denied' and actor = ?"
                     + " and position(convert_to('client certificate revoked', 'UTF8') in leaf) > 0")) {
            for (String actor : List.of("former", "acme")) {
                ps.setString(1, actor);
                try (var rs = ps.executeQuery()) {
                    assertTrue(rs.next() && rs.getLong(1) >= 1, actor + " refused and audited");
                }
            }
        }
    }
}
