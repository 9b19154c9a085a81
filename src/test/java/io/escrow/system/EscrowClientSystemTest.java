package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.client.ClientMetrics;
import io.escrow.client.DepositException;
import io.escrow.client.EscrowClient;
import io.escrow.client.Receipt;
import io.escrow.client.RetryPolicy;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.warrant.DemoAuthorities;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The provider SDK against the packaged service (embedded PostgreSQL, in-process custodian
 * agents attesting keys under the demo custodian CAs the client pins): a kill -9 of the service
 * and its database under SDK load, a key rotation under SDK load, and the in-flight limit.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EscrowClientSystemTest {
    private static final List<String> CUSTODIANS = List.of("custodian-1", "custodian-2", "custodian-3");
    private static Path dataDir;
    private static ServiceProcess service;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("escrow-sdk-");
        service = ServiceProcess.start(dataDir, dataDir.resolve("service.log"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (service != null) {
            service.close();
        }
    }

    private static io.escrow.client.EscrowClientBuilder client() {
        var b = EscrowClient.builder().target("localhost:" + service.grpcPort).plaintext();
        for (String id : CUSTODIANS) {
            b.pinCustodian(id, DemoAuthorities.dir(dataDir).resolve(id).resolve("ca.pem"));
        }
        return b;
    }

    private static CompletableFuture<Receipt> deposit(EscrowClient client, SecureRandom rng, String id) {
        byte[] sessionKey = new byte[32];
        rng.nextBytes(sessionKey);
        long from = 1_760_000_000L + rng.nextInt(1_000_000);
        return client.deposit("sdk-subject-" + rng.nextInt(16), Instant.ofEpochSecond(from), Instant.ofEpochSecond(from + 3600),
                sessionKey, id);
    }

    /** provider_record_id → (record_id, audit_index, key_id) as the service's database holds them. */
    private static Map<String, String> held(String prefix) throws Exception {
        Map<String, String> out = new HashMap<>();
        try (var c = DriverManager.getConnection(service.embeddedJdbcUrl());
             var ps = c.prepareStatement("select provider_record_id, record_id, audit_index, key_id from deposits "
                     + "where provider_record_id like ?")) {
            ps.setString(1, prefix + "%");
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    String previous = out.put(rs.getString(1), rs.getString(2) + " " + rs.getLong(3) + " " + rs.getString(4));
                    assertEquals(null, previous, "deposited twice: " + rs.getString(1));
                }
            }
        }
        return out;
    }

    private static String asHeld(Receipt r) {
        return r.recordId() + " " + r.auditIndex() + " " + r.keyId();
    }

    /**
     * kill -9 of the service and its PostgreSQL while the SDK has thousands of deposits in
     * flight, then a restart on the same port: every future completes with a receipt, each
     * identical to what the database holds, and the database holds each deposit exactly once.
     */
    @Test
    @Order(1)
    void killMinus9DuringLoad_everyFutureCompletes_andTheReceiptsAreWhatTheServiceHolds() throws Exception {
        int total = 6_000;
        AtomicInteger reconnects = new AtomicInteger();
        AtomicInteger resent = new AtomicInteger();
        List<CompletableFuture<Receipt>> futures = new CopyOnWriteArrayList<>();
        int inFlightAtKill;
        try (EscrowClient client = client().retry(new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(3)))
                .maxInFlight(1_000, EscrowClient.WhenFull.BLOCK)
                .metrics(new ClientMetrics() {
                    @Override
                    public void reconnecting(String cause, int count) {
                        reconnects.incrementAndGet();
                        resent.addAndGet(count);
                    }
                }).build()) {
            SecureRandom rng = new SecureRandom();
            Thread producer = new Thread(() -> {
                for (int i = 0; i < total; i++) {
                    futures.add(deposit(client, rng, "sdk-kill-" + i));
                }
            }, "sdk-producer");
            producer.start();
            while (futures.stream().filter(CompletableFuture::isDone).count() < 1_500) {
                Thread.sleep(5);
            }
            inFlightAtKill = client.inFlight();
            service.killHard();
            service = ServiceProcess.restart(service, dataDir.resolve("service-2.log"));
            producer.join(TimeUnit.MINUTES.toMillis(4));
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(4, TimeUnit.MINUTES);
        }
        assertTrue(inFlightAtKill > 0, "the kill found deposits in flight");
        assertTrue(reconnects.get() > 0 && resent.get() > 0, "the client reconnected and re-sent: " + reconnects + ", " + resent);
        assertEquals(total, futures.size());
        Map<String, String> held = held("sdk-kill-");
        assertEquals(total, held.size(), "every deposit is held, once");
        for (CompletableFuture<Receipt> f : futures) {
            Receipt r = f.get();
            assertEquals(held.get(r.providerRecordId()), asHeld(r), "the receipt is what the service holds");
        }
    }

    /**
     * A rotation through the custodians' agents while the SDK deposits: nothing fails, and every
     * deposit made after the client's next key refresh is sealed to, and held under, the new key.
     */
    @Test
    @Order(2)
    void rotationMidLoad_newDepositsUseTheNewKey() throws Exception {
        ManagedChannel raw = ManagedChannelBuilder.forAddress("localhost", service.grpcPort).usePlaintext().build();
        String oldKey = EscrowServiceGrpc.newBlockingStub(raw).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()).getKeyId();
        List<String> keysInUse = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Receipt>> before = new ArrayList<>();
        List<CompletableFuture<Receipt>> after = new ArrayList<>();
        AtomicBoolean rotated = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        String newKey = "ek-sdk-rotated";
        try (EscrowClient client = client().keyRefresh(Duration.ofMillis(500)).metrics(new ClientMetrics() {
            @Override
            public void keyInUse(String keyId) {
                keysInUse.add(keyId);
            }
        }).build()) {
            SecureRandom rng = new SecureRandom();
            AtomicInteger n = new AtomicInteger();
            Thread producer = new Thread(() -> {
                while (!stop.get()) {
                    // Deposits started 2 s after the service served the new key must use it (refresh every 500 ms).
                    (rotated.get() ? after : before).add(deposit(client, rng, "sdk-rotate-" + n.getAndIncrement()));
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "sdk-producer");
            producer.start();
            for (String id : CUSTODIANS) {
                var consent = ServiceProcess.escrowctl(dataDir, "custodian", "ceremony-consent", "--key-id", newKey, "--custodian", id,
                        "--threshold", "2", "--custodians", String.join(",", CUSTODIANS),
                        "--cert", DemoAuthorities.signerCertificate(dataDir, id).toString(),
                        "--key", DemoAuthorities.signerKey(dataDir, id).toString(), "--target", "localhost:" + service.grpcPort);
                assertEquals(0, consent.exit(), consent.output());
            }
            var created = ServiceProcess.escrowctl(dataDir, "keys", "create", "--key-id", newKey, "--target", "localhost:" + service.grpcPort);
            assertEquals(0, created.exit(), created.output());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!EscrowServiceGrpc.newBlockingStub(raw).getEscrowKey(GetEscrowKeyRequest.getDefaultInstance()).getKeyId().equals(newKey)) {
                assertTrue(System.nanoTime() < deadline, "the new key was not served within 60 s");
                Thread.sleep(100);
            }
            Thread.sleep(2_000);
            rotated.set(true);
            Thread.sleep(2_000);
            stop.set(true);
            producer.join();
        } finally {
            raw.shutdownNow();
        }
        assertTrue(!before.isEmpty() && after.size() > 100, "deposits on both sides: " + before.size() + ", " + after.size());
        Map<String, String> held = held("sdk-rotate-");
        for (CompletableFuture<Receipt> f : before) {
            Receipt r = f.get();
            assertEquals(held.get(r.providerRecordId()), asHeld(r));
        }
        assertEquals(oldKey, before.get(0).get().keyId());
        for (CompletableFuture<Receipt> f : after) {
            Receipt r = f.get();
            assertEquals(newKey, r.keyId(), "deposited after the refresh");
            assertEquals(held.get(r.providerRecordId()), asHeld(r));
        }
        assertEquals(List.of(oldKey, newKey), keysInUse);
        assertNotEquals(oldKey, newKey);
    }

    /**
     * A refusal mid-stream (a provider_record_id re-used with other bytes) fails that deposit
     * alone, as CONFLICT; the deposits sent after it on the same stream go again and get receipts.
     */
    @Test
    @Order(3)
    void conflictMidStream_failsOnlyThatDeposit_andTheRestAreDeposited() throws Exception {
        List<CompletableFuture<Receipt>> futures = new ArrayList<>();
        try (EscrowClient client = client().streams(1).build()) {
            SecureRandom rng = new SecureRandom();
            Receipt first = deposit(client, rng, "sdk-conflict-25").get(60, TimeUnit.SECONDS);
            for (int i = 0; i < 50; i++) {
                futures.add(deposit(client, rng, "sdk-conflict-" + i));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).handle((r, e) -> null).get(60, TimeUnit.SECONDS);
            ExecutionException conflict = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> futures.get(25).get());
            DepositException e = (DepositException) conflict.getCause();
            assertEquals(DepositException.Reason.CONFLICT, e.reason(), e.getMessage());
            Map<String, String> held = held("sdk-conflict-");
            assertEquals(50, held.size());
            assertEquals(asHeld(first), held.get("sdk-conflict-25"), "the first deposit stands");
            for (int i = 0; i < 50; i++) {
                if (i != 25) {
                    Receipt r = futures.get(i).get();
                    assertEquals(held.get(r.providerRecordId()), asHeld(r));
                }
            }
        }
    }

    /** Pins that the service's key does not satisfy: nothing is sealed or sent, and the cause is named. */
    @Test
    @Order(4)
    void pinsOfOtherCustodianCas_refuseTheKey_andNothingIsDeposited() throws Exception {
        TestPki other = new TestPki(dataDir.resolve("other-custodians"), "other-custodians");
        var b = EscrowClient.builder().target("localhost:" + service.grpcPort).plaintext();
        for (String id : CUSTODIANS) {
            b.pinCustodian(id, other.caPem());
        }
        try (EscrowClient client = b.build()) {
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> deposit(client, new SecureRandom(), "sdk-untrusted-1").get(60, TimeUnit.SECONDS));
            DepositException refused = (DepositException) e.getCause();
            assertEquals(DepositException.Reason.UNTRUSTED_KEY, refused.reason(), refused.getMessage());
            assertTrue(refused.getMessage().contains("not under the pinned"), refused.getMessage());
        }
        assertEquals(0, held("sdk-untrusted-").size());
    }

    /** The README's Node example deposits through @grpc/grpc-js and @hpke/core; its receipt is what the service holds. */
    @Test
    @Order(6)
    void nodeExample_depositsAndGetsTheReceiptTheServiceHolds() throws Exception {
        String out = NodeExample.run("deposit", "localhost:" + service.grpcPort, "node-example-1", "node-subject", "1760000000",
                "1760003600");
        var m = java.util.regex.Pattern.compile("\\{\"key_id\":\"([^\"]+)\",\"record_id\":\"([^\"]+)\",\"provider_record_id\":"
                + "\"node-example-1\",\"audit_index\":\"(\\d+)\"}").matcher(out);
        assertTrue(m.matches(), out);
        assertEquals(m.group(2) + " " + m.group(3) + " " + m.group(1), held("node-example-").get("node-example-1"));
    }

    /**
     * The service gone for longer than the retry policy allows: the waiting deposit fails as
     * UNAVAILABLE with its outcome unknown, and once the service is back a re-deposit under the
     * same provider_record_id gets a receipt, also from a client created while the service was
     * down (which waits for the key under its policy). Runs last: it kills the service.
     */
    @Test
    @Order(7)
    void serviceGoneLongerThanTheRetryPolicy_failsAsUnavailable_outcomeUnknown() throws Exception {
        try (EscrowClient client = client().retry(new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(2)))
                .build()) {
            SecureRandom rng = new SecureRandom();
            deposit(client, rng, "sdk-gone-0").get(60, TimeUnit.SECONDS);
            service.killHard();
            long start = System.nanoTime();
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> deposit(client, rng, "sdk-gone-1").get(60, TimeUnit.SECONDS));
            DepositException gone = (DepositException) e.getCause();
            assertEquals(DepositException.Reason.UNAVAILABLE, gone.reason(), gone.getMessage());
            assertTrue(gone.outcomeUnknown() && gone.getMessage().contains("the retry policy gives up after 2 s"), gone.getMessage());
            assertTrue(System.nanoTime() - start >= TimeUnit.SECONDS.toNanos(2), "failed only once the policy gave up");
        }
        // A new client while the service is down has no key yet. With REJECT it fails at once;
        // with BLOCK it waits for the service under its retry policy: in vain for 1 s, then
        // (with 2 minutes) until the service is back, and deposits.
        try (EscrowClient client = client().retry(new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(1)))
                .build()) {
            long start = System.nanoTime();
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> deposit(client, new SecureRandom(), "sdk-gone-1").get(10, TimeUnit.SECONDS));
            DepositException noKey = (DepositException) e.getCause();
            assertEquals(DepositException.Reason.UNAVAILABLE, noKey.reason(), noKey.toString());
            assertTrue(!noKey.outcomeUnknown() && noKey.getMessage().contains("no escrow key could be fetched"), noKey.getMessage());
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(700), "waited for the service before giving up");
        }
        try (EscrowClient client = client().maxInFlight(8, EscrowClient.WhenFull.REJECT).build()) {
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> deposit(client, new SecureRandom(), "sdk-gone-1").get(10, TimeUnit.SECONDS));
            assertEquals(DepositException.Reason.UNAVAILABLE, ((DepositException) e.getCause()).reason(), e.getCause().toString());
        }
        try (EscrowClient client = client().retry(new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(500), Duration.ofMinutes(2)))
                .build()) {
            CompletableFuture<CompletableFuture<Receipt>> waiting = CompletableFuture.supplyAsync(
                    () -> deposit(client, new SecureRandom(), "sdk-gone-1"));
            Thread.sleep(1_500);
            assertFalse(waiting.isDone(), "the deposit waits for the key instead of failing");
            service = ServiceProcess.restart(service, dataDir.resolve("service-3.log"));
            assertEquals("sdk-gone-1", waiting.get(60, TimeUnit.SECONDS).get(60, TimeUnit.SECONDS).providerRecordId());
        }
    }

    /** maxInFlight 1 with REJECT: deposits beyond it fail at once as OVERLOADED, and every future still completes. */
    @Test
    @Order(5)
    void inFlightLimitWithReject_failsTheExcessAsOverloaded() throws Exception {
        List<CompletableFuture<Receipt>> futures = new ArrayList<>();
        try (EscrowClient client = client().maxInFlight(1, EscrowClient.WhenFull.REJECT).build()) {
            SecureRandom rng = new SecureRandom();
            for (int i = 0; i < 200; i++) {
                futures.add(deposit(client, rng, "sdk-reject-" + i));
            }
        }
        int receipts = 0;
        int overloaded = 0;
        for (CompletableFuture<Receipt> f : futures) {
            try {
                f.get(0, TimeUnit.SECONDS);
                receipts++;
            } catch (ExecutionException e) {
                assertEquals(DepositException.Reason.OVERLOADED, ((DepositException) e.getCause()).reason(), e.getCause().toString());
                overloaded++;
            }
        }
        assertTrue(receipts > 0 && overloaded > 0, receipts + " receipts, " + overloaded + " overloaded");
        assertEquals(receipts, held("sdk-reject-").size());
    }
}
