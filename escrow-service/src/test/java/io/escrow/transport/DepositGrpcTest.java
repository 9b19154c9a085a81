package io.escrow.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.escrow.hsm.CustodianTokens;
import io.escrow.keys.KeyRegistry;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.storage.Database;
import io.escrow.threshold.P256;
import io.escrow.threshold.ThresholdDecryptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.bouncycastle.crypto.hpke.HPKE;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Deposit and DepositStream through a real gRPC client, sealing with Bouncy Castle's HPKE. */
@QuarkusTest
class DepositGrpcTest {
    /** Bouncy Castle's HPKE object is not thread-safe: one per thread. */
    private static final ThreadLocal<HPKE> BC = ThreadLocal.withInitial(
            () -> new HPKE(HPKE.mode_base, HPKE.kem_P256_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256));

    @GrpcClient("escrow")
    EscrowServiceGrpc.EscrowServiceBlockingStub escrow;

    @GrpcClient("escrow")
    io.grpc.Channel channel;

    private EscrowServiceGrpc.EscrowServiceStub escrowAsync;

    @Inject
    Database db;

    @Inject
    KeyRegistry registry;

    @Inject
    CustodianTokens tokens;

    @Inject
    ThresholdDecryptor decryptor;

    private EscrowKey key;

    @BeforeEach
    void key() {
        escrowAsync = EscrowServiceGrpc.newStub(channel);
        key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
    }

    /** A deposit sealed by an independent HPKE implementation, exactly as the contract describes. */
    private DepositRequest sealed(String providerRecordId, String subject, long from, long until, byte[] sessionKey) {
        try {
            byte[] info = ("escrow/v1/deposit/" + key.getKeyId()).getBytes(StandardCharsets.UTF_8);
            byte[] aad = (subject + "\n" + from + "\n" + until).getBytes(StandardCharsets.UTF_8);
            HPKE bc = BC.get();
            byte[][] out = bc.seal(bc.deserializePublicKey(key.getPublicKey().toByteArray()), info, aad, sessionKey, null, null, null);
            byte[] enc = out[0].length == 65 ? out[0] : out[1];
            byte[] ct = out[0].length == 65 ? out[1] : out[0];
            return DepositRequest.newBuilder().setProviderRecordId(providerRecordId).setSubjectId(subject)
                    .setKeyId(key.getKeyId()).setCoversFrom(Timestamp.newBuilder().setSeconds(from))
                    .setCoversUntil(Timestamp.newBuilder().setSeconds(until))
                    .setEnc(ByteString.copyFrom(enc)).setCiphertext(ByteString.copyFrom(ct)).build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private DepositRequest valid() {
        return sealed("msg-" + UUID.randomUUID(), "alice@example.org", 1_700_000_000L, 1_700_003_600L, "k".repeat(32).getBytes());
    }

    @Test
    void deposit_isCommittedWithItsAuditLeaf_andOpensThroughTheCustodians() throws Exception {
        byte[] sessionKey = new byte[32];
        new java.security.SecureRandom().nextBytes(sessionKey);
        DepositRequest req = sealed("conv-1-" + UUID.randomUUID(), "bob@example.org", 1_700_000_000L, 1_700_086_400L, sessionKey);
        DepositReceipt r = escrow.deposit(req);
        assertEquals(req.getProviderRecordId(), r.getProviderRecordId());
        UUID.fromString(r.getRecordId());
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement("select d.provider, d.enc, d.ciphertext, d.subject_id, d.covers_from, d.covers_until, "
                     + "d.audit_index from deposits d where d.record_id = ?")) {
            ps.setObject(1, UUID.fromString(r.getRecordId()));
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                assertEquals("dev", rs.getString("provider"));
                assertEquals(r.getAuditIndex(), rs.getLong("audit_index"));
                // The leaf as the log serves it (rebuilt from the row since V12).
                var logged = new io.escrow.testing.AuditProbe(db).at(r.getAuditIndex());
                assertEquals("deposit", logged.type());
                assertEquals("dev", logged.actor());
                String leaf = new String(logged.leaf(), StandardCharsets.ISO_8859_1);
                assertTrue(leaf.contains(r.getRecordId()), "leaf names the record");
                assertFalse(leaf.contains("bob@example.org"), "the subject appears only as a salted hash");
                // The leaf commits to the deposit's bytes: SHA-256(enc || ciphertext), computed here independently.
                java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
                sha.update(req.getEnc().toByteArray());
                sha.update(req.getCiphertext().toByteArray());
                assertTrue(leaf.contains("payload_sha256" + new String(new byte[] {0, 0, 0, 32}, StandardCharsets.ISO_8859_1)
                        + new String(sha.digest(), StandardCharsets.ISO_8859_1)), "payload_sha256 field");
                byte[] info = ("escrow/v1/deposit/" + key.getKeyId()).getBytes(StandardCharsets.UTF_8);
                byte[] aad = (rs.getString("subject_id") + "\n" + rs.getLong("covers_from") + "\n" + rs.getLong("covers_until"))
                        .getBytes(StandardCharsets.UTF_8);
                var opening = decryptor.open(registry.require(key.getKeyId()), tokens.available(), rs.getBytes("enc"), info, aad,
                        rs.getBytes("ciphertext"));
                assertArrayEquals(sessionKey, opening.plaintext());
            }
        }
    }

    @Test
    void deposit_sameBytesTwice_returnsTheSameReceipt_differentBytesAreAlreadyExists() {
        DepositRequest req = valid();
        DepositReceipt first = escrow.deposit(req);
        DepositReceipt again = escrow.deposit(req);
        assertEquals(first, again);
        DepositRequest changed = req.toBuilder().setSubjectId("mallory@example.org").build();
        var e = assertThrows(StatusRuntimeException.class, () -> escrow.deposit(changed));
        assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("provider_record_id:"), e.getStatus().getDescription());
    }

    private void assertInvalid(String field, UnaryOperator<DepositRequest.Builder> change) {
        DepositRequest bad = change.apply(valid().toBuilder()).build();
        var e = assertThrows(StatusRuntimeException.class, () -> escrow.deposit(bad), field);
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().startsWith(field + ":"), field + " -> " + e.getStatus().getDescription());
    }

    @Test
    void deposit_withEachInvalidField_isInvalidArgumentNamingIt() {
        assertInvalid("provider_record_id", b -> b.setProviderRecordId(""));
        assertInvalid("provider_record_id", b -> b.setProviderRecordId("x".repeat(257)));
        assertInvalid("provider_record_id", b -> b.setProviderRecordId("line\nbreak"));
        assertInvalid("subject_id", b -> b.setSubjectId(""));
        assertInvalid("subject_id", b -> b.setSubjectId("é".repeat(129)));
        assertInvalid("subject_id", b -> b.setSubjectId("tab\there"));
        assertInvalid("subject_id", b -> b.setSubjectId("bell\u0007"));
        assertInvalid("subject_id", b -> b.setSubjectId("zero\u200bwidth"));
        assertInvalid("key_id", b -> b.setKeyId(""));
        assertInvalid("key_id", b -> b.setKeyId("../etc"));
        assertInvalid("key_id", b -> b.setKeyId("ek-1999-99"));
        assertInvalid("covers_from", DepositRequest.Builder::clearCoversFrom);
        assertInvalid("covers_until", DepositRequest.Builder::clearCoversUntil);
        assertInvalid("covers_from", b -> b.setCoversFrom(Timestamp.newBuilder().setSeconds(1_700_000_000L).setNanos(5)));
        assertInvalid("covers_from", b -> b.setCoversFrom(Timestamp.newBuilder().setSeconds(-1)));
        assertInvalid("covers_until", b -> b.setCoversUntil(Timestamp.newBuilder().setSeconds(1_600_000_000L)));
        assertInvalid("covers_until", b -> b.setCoversUntil(Timestamp.newBuilder().setSeconds(Long.MAX_VALUE)));
        assertInvalid("enc", b -> b.setEnc(ByteString.EMPTY));
        assertInvalid("enc", b -> b.setEnc(b.getEnc().substring(0, 33)));
        assertInvalid("enc", b -> b.setEnc(ByteString.copyFrom(P256.G.getEncoded(true))));
        assertInvalid("enc", b -> {
            byte[] off = b.getEnc().toByteArray();
            off[64] ^= 1;
            return b.setEnc(ByteString.copyFrom(off));
        });
        assertInvalid("enc", b -> {
            byte[] identity = new byte[65];
            identity[0] = 4;
            return b.setEnc(ByteString.copyFrom(identity));
        });
        assertInvalid("ciphertext", b -> b.setCiphertext(ByteString.EMPTY));
        assertInvalid("ciphertext", b -> b.setCiphertext(b.getCiphertext().substring(0, 16)));
        assertInvalid("ciphertext", b -> b.setCiphertext(ByteString.copyFrom(new byte[1024 + 17])));
    }

    @Test
    void deposit_withInvalidUtf8OnTheWire_isRejectedAsInvalidArgument() {
        // The Java protobuf builder refuses invalid UTF-8, so write the wire bytes by hand: a valid
        // request with field 2 (subject_id) replaced by the bytes 'a' 0xC3 0x28.
        byte[] valid = valid().toBuilder().clearSubjectId().build().toByteArray();
        byte[] bad = new byte[valid.length + 5];
        System.arraycopy(valid, 0, bad, 0, valid.length);
        System.arraycopy(new byte[] {0x12, 3, 'a', (byte) 0xC3, 0x28}, 0, bad, valid.length, 5);
        io.grpc.MethodDescriptor.Marshaller<byte[]> raw = new io.grpc.MethodDescriptor.Marshaller<>() {
            @Override
            public java.io.InputStream stream(byte[] value) {
                return new java.io.ByteArrayInputStream(value);
            }

            @Override
            public byte[] parse(java.io.InputStream stream) {
                try {
                    return stream.readAllBytes();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        var method = EscrowServiceGrpc.getDepositMethod().toBuilder(raw, raw).build();
        var e = assertThrows(StatusRuntimeException.class,
                () -> io.grpc.stub.ClientCalls.blockingUnaryCall(channel, method, io.grpc.CallOptions.DEFAULT, bad));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        assertEquals("subject_id: is not valid UTF-8", e.getStatus().getDescription());
    }

    @Test
    void deposit_atTheBounds_isAccepted() {
        DepositRequest req = sealed("b".repeat(256), "s".repeat(256), 0, 0, new byte[1024]);
        assertEquals("b".repeat(256), escrow.deposit(req).getProviderRecordId());
        DepositRequest oneByte = sealed("one-" + UUID.randomUUID(), "ü-subject", 5, 6, new byte[] {7});
        escrow.deposit(oneByte);
    }

    private static final class Collector implements StreamObserver<DepositReceipt> {
        final List<DepositReceipt> receipts = new ArrayList<>();
        final CompletableFuture<Throwable> done = new CompletableFuture<>();

        @Override
        public synchronized void onNext(DepositReceipt r) {
            receipts.add(r);
        }

        @Override
        public void onError(Throwable t) {
            done.complete(t);
        }

        @Override
        public void onCompleted() {
            done.complete(null);
        }
    }

    @Test
    void depositStream_returnsOneReceiptPerRequestInOrder() throws Exception {
        Collector c = new Collector();
        StreamObserver<DepositRequest> in = escrowAsync.depositStream(c);
        List<DepositRequest> sent = new ArrayList<>();
        DepositRequest template = valid();
        for (int i = 0; i < 3000; i++) {
            DepositRequest r = template.toBuilder().setProviderRecordId("stream-" + UUID.randomUUID()).build();
            sent.add(r);
            in.onNext(r);
            if (i == 10) {
                in.onNext(r); // an in-stream replay gets the same receipt
                sent.add(r);
            }
        }
        in.onCompleted();
        assertEquals(null, c.done.get(60, TimeUnit.SECONDS));
        assertEquals(sent.size(), c.receipts.size());
        for (int i = 0; i < sent.size(); i++) {
            assertEquals(sent.get(i).getProviderRecordId(), c.receipts.get(i).getProviderRecordId());
        }
        assertEquals(c.receipts.get(10), c.receipts.get(11));
        assertEquals(sent.size() - 1, c.receipts.stream().map(DepositReceipt::getAuditIndex).distinct().count());
    }

    @Test
    void depositStream_withAnInvalidRequest_sendsEarlierReceiptsThenFailsNamingIt() throws Exception {
        Collector c = new Collector();
        StreamObserver<DepositRequest> in = escrowAsync.depositStream(c);
        in.onNext(valid());
        in.onNext(valid());
        in.onNext(valid().toBuilder().setEnc(ByteString.copyFrom(new byte[65])).build());
        in.onNext(valid());
        in.onCompleted();
        Throwable t = c.done.get(30, TimeUnit.SECONDS);
        assertEquals(2, c.receipts.size());
        StatusRuntimeException e = (StatusRuntimeException) t;
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("request 2 of the stream: enc:"), e.getStatus().getDescription());
        assertNotEquals(c.receipts.get(0).getAuditIndex(), c.receipts.get(1).getAuditIndex());
    }

    @io.quarkus.test.common.http.TestHTTPResource("/q/metrics")
    java.net.URI metrics;

    @Test
    void metrics_countAcceptedAndRejectedByReason_latencyAndBatchSizes() throws Exception {
        escrow.deposit(valid());
        assertThrows(StatusRuntimeException.class, () -> escrow.deposit(valid().toBuilder().setEnc(ByteString.EMPTY).build()));
        DepositRequest req = valid();
        escrow.deposit(req);
        assertThrows(StatusRuntimeException.class, () -> escrow.deposit(req.toBuilder().setSubjectId("other").build()));
        String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(metrics).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        for (String metric : List.of("escrow_deposits_accepted_total", "escrow_deposits_rejected_total{reason=\"enc\"}",
                "escrow_deposits_rejected_total{reason=\"already_exists\"}", "escrow_deposit_latency_seconds_count",
                "escrow_deposit_latency_seconds{quantile=\"0.99\"}", "escrow_deposit_batch_size_count")) {
            assertTrue(body.contains(metric), "missing " + metric);
        }
    }

    @Test
    void concurrentDeposits_getGapFreeAuditIndexes() throws Exception {
        List<CompletableFuture<DepositReceipt>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            futures.add(CompletableFuture.supplyAsync(() -> escrow.deposit(valid())));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement("select count(*), min(i), max(i), (select next_index from audit_head) "
                     + "from (select idx as i from audit_log union all select audit_index from deposits) x");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            assertEquals(rs.getLong(1), rs.getLong(3) - rs.getLong(2) + 1, "audit indexes have no gap and none is held twice");
            assertEquals(0, rs.getLong(2));
            assertEquals(rs.getLong(1), rs.getLong(4));
            assertEquals(rs.getLong(4), new io.escrow.testing.AuditProbe(db).since(0).size(), "every leaf reads");
        }
    }
}
