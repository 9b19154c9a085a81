package io.escrow.transport;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Identifies every caller (from its client certificate, or the fixed development identity) and
 * enforces which roles may call which service. Runs before any service code.
 */
@GlobalInterceptor
@ApplicationScoped
@Priority(100)
public class AccessControlInterceptor implements ServerInterceptor {
    /** Service name -> roles allowed to call any of its methods. */
    static final Map<String, Set<Role>> ALLOWED = Map.of(
            "escrow.v1.EscrowService", EnumSet.of(Role.PROVIDER, Role.OPERATOR),
            "escrow.v1.WarrantService", EnumSet.of(Role.AGENCY, Role.AUTHORITY, Role.OPERATOR),
            "escrow.v1.RecoveryService", EnumSet.of(Role.AGENCY),
            "escrow.v1.AuditService", EnumSet.of(Role.OVERSEER, Role.OPERATOR),
            "escrow.v1.CustodianService", EnumSet.of(Role.CUSTODIAN, Role.OPERATOR),
            "grpc.health.v1.Health", EnumSet.allOf(Role.class));

    @Inject
    ClientAuthentication authentication;

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                                 ServerCallHandler<ReqT, RespT> next) {
        String service = call.getMethodDescriptor().getServiceName();
        CallerIdentity caller;
        try {
            caller = authentication.identify(call);
            Set<Role> allowed = ALLOWED.getOrDefault(service, Set.of());
            if (caller.roles().stream().noneMatch(allowed::contains)) {
                throw new AccessDeniedException("caller " + caller.name() + " with role " + caller.roles()
                        + " may not call " + call.getMethodDescriptor().getFullMethodName());
            }
        } catch (RuntimeException e) {
            var status = GrpcErrorMapping.toStatus(e);
            call.close(status.getStatus(), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return Contexts.interceptCall(Context.current().withValue(CallerIdentity.KEY, caller), call, headers, next);
    }
}
