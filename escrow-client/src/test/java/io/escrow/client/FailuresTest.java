package io.escrow.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** The statuses the service documents (README "The deposit path"), mapped to reasons a provider can act on. */
class FailuresTest {
    private static DepositException.Reason reason(Status s) {
        return Failures.of("deposit", s).reason();
    }

    @Test
    void of_mapsEachDocumentedStatus() {
        assertEquals(DepositException.Reason.REJECTED, reason(Status.INVALID_ARGUMENT.withDescription("request 3 of the stream: enc: not on P-256")));
        assertEquals(DepositException.Reason.KEY_NOT_SERVED, reason(Status.INVALID_ARGUMENT.withDescription(
                "request 0 of the stream: key_id: unknown escrow key 'ek-9'")));
        assertEquals(DepositException.Reason.KEY_NOT_SERVED, reason(Status.FAILED_PRECONDITION.withDescription("key ek-1 is retired")));
        assertEquals(DepositException.Reason.CONFLICT, reason(Status.ALREADY_EXISTS));
        assertEquals(DepositException.Reason.PERMISSION_DENIED, reason(Status.PERMISSION_DENIED));
        assertEquals(DepositException.Reason.PERMISSION_DENIED, reason(Status.UNAUTHENTICATED));
        assertEquals(DepositException.Reason.UNAVAILABLE, reason(Status.UNAVAILABLE));
        assertEquals(DepositException.Reason.UNAVAILABLE, reason(Status.RESOURCE_EXHAUSTED));
        assertEquals(DepositException.Reason.PROTOCOL, reason(Status.UNIMPLEMENTED));
    }

    @Test
    void of_aTlsFailureUnderUnavailable_isTls_andNotRetried() {
        Status s = Status.UNAVAILABLE.withCause(new RuntimeException(new SSLHandshakeException("Received fatal alert: bad_certificate")));
        DepositException e = Failures.of("deposit", s);
        assertEquals(DepositException.Reason.TLS, e.reason());
        assertTrue(e.getMessage().contains("bad_certificate"), e.getMessage());
        assertFalse(Failures.retryable(s));
    }

    @Test
    void retryable_onlyForTransientStatuses() {
        assertTrue(Failures.retryable(Status.UNAVAILABLE));
        assertTrue(Failures.retryable(Status.RESOURCE_EXHAUSTED));
        assertTrue(Failures.retryable(Status.INTERNAL.withDescription("RST_STREAM closed stream")));
        assertFalse(Failures.retryable(Status.INTERNAL.withDescription("internal error (reference 1f2e)")));
        assertFalse(Failures.retryable(Status.INVALID_ARGUMENT));
        assertFalse(Failures.retryable(Status.ALREADY_EXISTS));
        assertFalse(Failures.retryable(Status.PERMISSION_DENIED));
    }
}
