package io.escrow.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a deposit does before and without the service: refusals are typed, every future
 * completes, and the caller's session key is zeroed whatever happens. (Against a real service:
 * EscrowClientSystemTest and MutualTlsSystemTest in src/test.)
 */
class EscrowClientDepositTest {
    private static final Instant FROM = Instant.ofEpochSecond(1_760_000_000L);
    private static final Instant UNTIL = FROM.plusSeconds(3600);
    private EscrowClient client;

    @BeforeEach
    void build() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        client = EscrowClient.builder().target("127.0.0.1:" + closedPort).plaintext()
                .pinCustodian("c1", AttestedKeysTest.issue("custodian-ca", null, true).cert())
                .retry(new RetryPolicy(java.time.Duration.ofMillis(20), java.time.Duration.ofMillis(50), java.time.Duration.ofMillis(300)))
                .build();
    }

    @AfterEach
    void close() {
        client.close();
    }

    private static DepositException failure(CompletableFuture<Receipt> f) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        return (DepositException) e.getCause();
    }

    private void refused(String expected, String subject, Instant from, Instant until, byte[] key, String id) throws Exception {
        DepositException e = failure(client.deposit(subject, from, until, key, id));
        assertEquals(DepositException.Reason.INVALID_ARGUMENT, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void deposit_withBadArguments_failsTheFutureAsInvalidArgument() throws Exception {
        refused("providerRecordId must be 1 to 256 bytes", "s", FROM, UNTIL, new byte[32], "");
        refused("providerRecordId must be 1 to 256 bytes", "s", FROM, UNTIL, new byte[32], "x".repeat(257));
        refused("subjectId must be 1 to 256 bytes", null, FROM, UNTIL, new byte[32], "r1");
        refused("coversFrom and coversUntil are required", "s", null, UNTIL, new byte[32], "r1");
        refused("whole seconds", "s", FROM.plusMillis(1), UNTIL, new byte[32], "r1");
        refused("sessionKey is required", "s", FROM, UNTIL, null, "r1");
    }

    @Test
    void deposit_refused_stillWipesTheSessionKey() throws Exception {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) 7);
        refused("whole seconds", "s", FROM.plusMillis(1), UNTIL, key, "r1");
        assertTrue(java.util.Arrays.equals(new byte[32], key));
    }

    @Test
    void deposit_withNoServiceToFetchTheKeyFrom_failsAsUnavailableOnceThePolicyGivesUp_andWipesTheSessionKey() throws Exception {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) 7);
        DepositException e = failure(client.deposit("s", FROM, UNTIL, key, "r1"));
        assertEquals(DepositException.Reason.UNAVAILABLE, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("no escrow key could be fetched before the retry policy gave up (300 ms)")
                && e.getMessage().contains("fetching the escrow key"), e.getMessage());
        assertFalse(e.outcomeUnknown(), "nothing was sent");
        assertTrue(java.util.Arrays.equals(new byte[32], key));
    }

    @Test
    void deposit_afterClose_failsAsClosed() throws Exception {
        client.close();
        DepositException e = failure(client.deposit("s", FROM, UNTIL, new byte[32], "r1"));
        assertEquals(DepositException.Reason.CLOSED, e.reason());
        assertFalse(e.outcomeUnknown(), "never sent, so not deposited");
    }
}
