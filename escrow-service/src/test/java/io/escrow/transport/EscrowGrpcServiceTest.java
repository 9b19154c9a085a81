package io.escrow.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.hsm.CustodianTokens;
import io.escrow.keys.KeyRegistry;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.ThresholdDecryptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/** The service on its embedded defaults, through a real gRPC client and HTTP. */
@QuarkusTest
class EscrowGrpcServiceTest {
    @GrpcClient("escrow")
    EscrowServiceGrpc.EscrowServiceBlockingStub escrow;

    @Inject
    KeyRegistry registry;

    @Inject
    CustodianTokens tokens;

    @Inject
    ThresholdDecryptor decryptor;

    @TestHTTPResource("/q/health/ready")
    URI ready;

    @TestHTTPResource("/q/metrics")
    URI metrics;

    @Test
    void getEscrowKey_withEmptyKeyId_returnsCurrentKeyAndSuite() {
        EscrowKey key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        KeyRecord record = registry.current().orElseThrow();
        assertEquals(record.keyId(), key.getKeyId());
        assertArrayEquals(record.publicKeyBytes(), key.getPublicKey().toByteArray());
        assertEquals(65, key.getPublicKey().size());
        assertEquals(2, key.getThreshold());
        assertEquals(3, key.getCustodianCount());
        assertEquals(0x0010, key.getKemId());
        assertEquals(0x0001, key.getKdfId());
        assertEquals(0x0002, key.getAeadId());
    }

    @Test
    void getEscrowKey_keySealsToEmbeddedCustodians() {
        EscrowKey key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        byte[] info = ("escrow/v1/deposit/" + key.getKeyId()).getBytes(StandardCharsets.UTF_8);
        byte[] aad = "subject-1\n1700000000\n1700003600".getBytes(StandardCharsets.UTF_8);
        byte[] sessionKey = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        Hpke.Sealed sealed = new Hpke(HpkeSuite.P256_SHA256_AES256GCM)
                .seal(key.getPublicKey().toByteArray(), info, aad, sessionKey, new SecureRandom());
        var opening = decryptor.open(registry.require(key.getKeyId()), tokens.available(), sealed.enc(), info, aad, sealed.ciphertext());
        assertArrayEquals(sessionKey, opening.plaintext());
        assertEquals(2, opening.custodiansUsed().size());
    }

    @Test
    void getEscrowKey_withUnknownKeyId_isNotFound() {
        var e = assertThrows(StatusRuntimeException.class,
                () -> escrow.getEscrowKey(GetEscrowKeyRequest.newBuilder().setKeyId("ek-1999-01").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("ek-1999-01"), e.getStatus().getDescription());
    }

    @Test
    void getEscrowKey_withMalformedKeyId_isInvalidArgumentNamingTheField() {
        var e = assertThrows(StatusRuntimeException.class,
                () -> escrow.getEscrowKey(GetEscrowKeyRequest.newBuilder().setKeyId("../../etc/passwd").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("key_id:"), e.getStatus().getDescription());
    }

    @Test
    void deposit_withEmptyRequest_isInvalidArgumentNamingTheFirstField() {
        var e = assertThrows(StatusRuntimeException.class, () -> escrow.deposit(DepositRequest.getDefaultInstance()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("provider_record_id:"), e.getStatus().getDescription());
    }

    @Test
    void readiness_isUpWithEveryCustodianChecked_andMetricsAreServed() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        for (String id : new String[] {"custodian-1", "custodian-2", "custodian-3"}) {
            assertTrue(health.body().contains("\"" + id + "\": \"UP\""), health.body());
        }
        HttpResponse<String> m = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, m.statusCode());
        assertTrue(m.body().contains("jvm_memory_used_bytes"), "prometheus output");
    }
}
