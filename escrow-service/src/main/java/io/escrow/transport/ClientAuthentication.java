package io.escrow.transport;

import io.escrow.error.AccessDeniedException;
import io.grpc.Grpc;
import io.grpc.ServerCall;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Maps the caller's TLS client certificate to an identity. In the embedded development default
 * (plaintext), every caller is {@link CallerIdentity#DEVELOPMENT}; nowhere else is that identity
 * used.
 */
@ApplicationScoped
public class ClientAuthentication {
    /** SSLSession value: the {@link Verdict} of the last revocation check of the client's chain. */
    private static final String CHECKED = "io.escrow.client-crl-checked";
    static final long RECHECK_NANOS = 1_000_000_000L;

    @Inject
    TransportSettings transport;

    public CallerIdentity identify(ServerCall<?, ?> call) {
        if (transport.developmentIdentity()) {
            return CallerIdentity.DEVELOPMENT;
        }
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            throw new AccessDeniedException("a TLS client certificate is required");
        }
        try {
            var certs = session.getPeerCertificates();
            if (certs.length == 0 || !(certs[0] instanceof java.security.cert.X509Certificate leaf)) {
                throw new AccessDeniedException("a TLS client certificate is required");
            }
            CallerIdentity caller = transport.identityOf(leaf);
            transport.clientRevocation().ifPresent(r -> requireNotRevoked(r, session, certs, caller));
            return caller;
        } catch (SSLPeerUnverifiedException e) {
            throw new AccessDeniedException("a TLS client certificate is required");
        }
    }

    /**
     * Checks the peer's chain against the client CRLs once per TLS session and second. A gRPC
     * connection carries many calls, and an uncached check (a stat of the CRL file, the chain
     * and CRL lookups; the JDK remembers verified signatures) measured about 6 us here, which
     * every deposit would otherwise pay. A newly published CRL therefore takes effect on open
     * connections within {@link #RECHECK_NANOS}.
     */
    private static void requireNotRevoked(ClientRevocation revocation, SSLSession session, java.security.cert.Certificate[] chain,
                                          CallerIdentity caller) {
        long now = System.nanoTime();
        Verdict verdict = session.getValue(CHECKED) instanceof Verdict v && now - v.at() < RECHECK_NANOS ? v : null;
        if (verdict == null) {
            // A refusal is remembered too, so that a revoked client repeating its calls costs no CRL work.
            verdict = new Verdict(now, revocation.problem(chain, java.time.Instant.now()));
            session.putValue(CHECKED, verdict);
        }
        if (verdict.problem().isPresent()) {
            var problem = verdict.problem().get();
            if (problem.revoked()) {
                throw new RevokedClientException(caller, "client " + caller.name() + ": " + problem.message());
            }
            throw new io.escrow.cms.RevocationUnknownException(problem.message());
        }
    }

    /** The outcome of one check of a session's chain, made at System.nanoTime() {@code at}. */
    private record Verdict(long at, java.util.Optional<io.escrow.cms.RevocationLists.Problem> problem) {}
}
