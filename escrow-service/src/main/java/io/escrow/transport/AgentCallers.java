package io.escrow.transport;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Who may call a custodian agent over mutual TLS, by the subject of the certificate the caller
 * presented: the escrow service's replicas may call every method; the custodian's own tools may
 * consent, deactivate, list and describe, but never ask for partials or revoke. Anyone else is
 * refused with PERMISSION_DENIED before the agent sees the call.
 */
final class AgentCallers implements ServerInterceptor {
    /** What only the service asks for. */
    private static final Set<String> SERVICE_ONLY = Set.of("ComputePartials", "RevokeWarrant");

    private final Set<X500Principal> service;
    private final Set<X500Principal> custodian;

    AgentCallers(Set<X500Principal> service, Set<X500Principal> custodian) {
        if (service.isEmpty()) {
            throw new IllegalArgumentException("at least one service subject is required");
        }
        this.service = Set.copyOf(service);
        this.custodian = Set.copyOf(custodian);
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        X500Principal subject = subject(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        String method = call.getMethodDescriptor().getBareMethodName();
        boolean allowed = subject != null && (service.contains(subject)
                || (custodian.contains(subject) && !SERVICE_ONLY.contains(method)));
        if (!allowed) {
            call.close(Status.PERMISSION_DENIED.withDescription("caller '" + (subject == null ? "unknown" : subject.getName())
                    + "' may not call " + method + " on this custodian agent"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
    }

    private static X500Principal subject(SSLSession session) {
        if (session == null) {
            return null;
        }
        try {
            return ((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal();
        } catch (SSLPeerUnverifiedException | RuntimeException e) {
            return null;
        }
    }
}
