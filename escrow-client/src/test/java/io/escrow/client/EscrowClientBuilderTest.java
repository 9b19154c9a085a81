package io.escrow.client;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EscrowClientBuilderTest {
    @TempDir
    Path dir;

    private static void refused(Class<? extends RuntimeException> type, String expected, Runnable r) {
        RuntimeException e = assertThrows(type, r::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void target_withoutPortOrWithABadOne_isRefused() {
        refused(IllegalArgumentException.class, "host:port", () -> EscrowClient.builder().target("localhost"));
        refused(IllegalArgumentException.class, "host:port", () -> EscrowClient.builder().target("localhost:http"));
        refused(IllegalArgumentException.class, "1..65535", () -> EscrowClient.builder().target("localhost:70000"));
        refused(IllegalArgumentException.class, "host:port", () -> EscrowClient.builder().target(":9000"));
    }

    @Test
    void limits_outOfRange_areRefused() {
        refused(IllegalArgumentException.class, "streams must be 1..8", () -> EscrowClient.builder().streams(0));
        refused(IllegalArgumentException.class, "streams must be 1..8", () -> EscrowClient.builder().streams(9));
        refused(IllegalArgumentException.class, "maxInFlight", () -> EscrowClient.builder().maxInFlight(0, EscrowClient.WhenFull.BLOCK));
        refused(NullPointerException.class, "whenFull", () -> EscrowClient.builder().maxInFlight(1, null));
        refused(IllegalArgumentException.class, "keyRefresh", () -> EscrowClient.builder().keyRefresh(Duration.ZERO));
        refused(IllegalArgumentException.class, "closeTimeout", () -> EscrowClient.builder().closeTimeout(Duration.ofSeconds(-1)));
    }

    @Test
    void tlsFiles_missingOrUnreadableAsPem_areRefused() throws Exception {
        Path missing = dir.resolve("missing.pem");
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate");
        refused(IllegalArgumentException.class, "is not a readable file", () -> EscrowClient.builder().mutualTls(missing, garbage, garbage));
        refused(IllegalArgumentException.class, "is not a readable file", () -> EscrowClient.builder().pinCustodian("c1", missing));
        refused(IllegalArgumentException.class, "cannot read the certificate pinned for c1",
                () -> EscrowClient.builder().pinCustodian("c1", garbage));
        var pinned = AttestedKeysTest.issue("custodian-ca", null, true).cert();
        refused(IllegalArgumentException.class, "cannot use the TLS files", () -> EscrowClient.builder().target("localhost:9")
                .mutualTls(garbage, garbage, garbage).pinCustodian("c1", pinned).build());
    }

    @Test
    void build_withoutTarget_transport_orPins_isRefused() throws Exception {
        var pinned = AttestedKeysTest.issue("custodian-ca", null, true).cert();
        refused(IllegalStateException.class, "set the target", () -> EscrowClient.builder().plaintext().pinCustodian("c1", pinned).build());
        refused(IllegalStateException.class, "or plaintext()", () -> EscrowClient.builder().target("localhost:9").pinCustodian("c1", pinned).build());
        Path pem = Files.writeString(dir.resolve("ca.pem"), "x");
        refused(IllegalStateException.class, "not both", () -> EscrowClient.builder().target("localhost:9").plaintext()
                .mutualTls(pem, pem, pem).pinCustodian("c1", pinned).build());
        refused(IllegalArgumentException.class, "pin at least one custodian", () -> EscrowClient.builder().target("localhost:9")
                .plaintext().build());
        refused(IllegalArgumentException.class, "custodianId", () -> EscrowClient.builder().pinCustodian("", pinned));
    }

    @Test
    void retryPolicy_outOfRange_isRefused() {
        refused(IllegalArgumentException.class, "initialBackoff must be positive",
                () -> new RetryPolicy(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1)));
        refused(IllegalArgumentException.class, "shorter than initialBackoff",
                () -> new RetryPolicy(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1)));
        refused(IllegalArgumentException.class, "giveUpAfter",
                () -> new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(-1)));
    }

    @Test
    void retryPolicy_backoffDoublesToItsCap_withAtMostAQuarterOff() {
        RetryPolicy p = new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(1));
        assertTrue(p.backoff(1, 0).toMillis() == 100 && p.backoff(2, 0).toMillis() == 200 && p.backoff(3, 0).toMillis() == 400);
        assertTrue(p.backoff(10, 0).toMillis() == 1000 && p.backoff(1_000, 0).toMillis() == 1000);
        assertTrue(p.backoff(1, 1).toMillis() == 75);
    }
}
