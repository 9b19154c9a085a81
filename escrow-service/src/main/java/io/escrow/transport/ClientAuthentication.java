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
            return transport.identityOf(leaf);
        } catch (SSLPeerUnverifiedException e) {
            throw new AccessDeniedException("a TLS client certificate is required");
        }
    }
}
