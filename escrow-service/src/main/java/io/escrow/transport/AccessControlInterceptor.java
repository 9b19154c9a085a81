package io.escrow.transport;

import io.escrow.audit.AuditWriter;
import io.escrow.error.AccessDeniedException;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusException;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Identifies every caller (from its client certificate, or the fixed development identity) and
 * enforces which roles may call which method, before any service code runs. A refused call is
 * audited ({@code access_denied}) before the caller gets PERMISSION_DENIED.
 *
 * <p>The operator runs the service but never takes part in a decision: it may read keys, warrants,
 * activations and the audit log, but not file, approve, activate or recover.
 */
@GlobalInterceptor
@ApplicationScoped
@Priority(100)
public class AccessControlInterceptor implements ServerInterceptor {
    private static final Logger LOG = Logger.getLogger(AccessControlInterceptor.class);

    /** Service name, or service/method for a narrower rule -> roles allowed. A method rule overrides its service's. */
    static final Map<String, Set<Role>> ALLOWED = Map.ofEntries(
            Map.entry("escrow.v1.EscrowService", EnumSet.of(Role.PROVIDER, Role.OPERATOR)),
            // Custodians see the keys they hold shares of before they consent to retiring one (escrowctl custodian retire).
            Map.entry("escrow.v1.EscrowService/ListEscrowKeys", EnumSet.of(Role.PROVIDER, Role.OPERATOR, Role.OVERSEER, Role.CUSTODIAN)),
            Map.entry("escrow.v1.EscrowService/GetServiceStatus", EnumSet.of(Role.OPERATOR, Role.OVERSEER)),
            Map.entry("escrow.v1.EscrowService/RetireEscrowKey", EnumSet.of(Role.OPERATOR)),
            Map.entry("escrow.v1.EscrowService/CreateEscrowKey", EnumSet.of(Role.OPERATOR)),
            Map.entry("escrow.v1.WarrantService", EnumSet.of(Role.AGENCY, Role.AUTHORITY, Role.OVERSEER, Role.OPERATOR)),
            Map.entry("escrow.v1.WarrantService/FileWarrant", EnumSet.of(Role.AGENCY)),
            // A custodian reviews the warrant it is asked to consent to (escrowctl custodian review).
            Map.entry("escrow.v1.WarrantService/GetWarrant", EnumSet.of(Role.AGENCY, Role.AUTHORITY, Role.OVERSEER, Role.OPERATOR,
                    Role.CUSTODIAN)),
            Map.entry("escrow.v1.WarrantService/ApproveWarrant", EnumSet.of(Role.AUTHORITY)),
            Map.entry("escrow.v1.WarrantService/RevokeWarrant", EnumSet.of(Role.AUTHORITY)),
            Map.entry("escrow.v1.RecoveryService", EnumSet.of(Role.AGENCY)),
            Map.entry("escrow.v1.AuditService", EnumSet.of(Role.OVERSEER, Role.OPERATOR)),
            Map.entry("escrow.v1.CustodianService", EnumSet.of(Role.CUSTODIAN, Role.AGENCY, Role.OVERSEER, Role.OPERATOR)),
            Map.entry("escrow.v1.CustodianService/ActivateShare", EnumSet.of(Role.CUSTODIAN)),
            // Authorities see whether custodians consented to the warrants they approve (escrowctl warrant show).
            Map.entry("escrow.v1.CustodianService/ListActivations", EnumSet.of(Role.CUSTODIAN, Role.AGENCY, Role.AUTHORITY,
                    Role.OVERSEER, Role.OPERATOR)),
            Map.entry("escrow.v1.CustodianService/DeactivateShare", EnumSet.of(Role.CUSTODIAN)),
            Map.entry("escrow.v1.CustodianService/ConsentKeyRetirement", EnumSet.of(Role.CUSTODIAN)),
            Map.entry("escrow.v1.CustodianService/ConsentKeyCeremony", EnumSet.of(Role.CUSTODIAN)),
            Map.entry("grpc.health.v1.Health", EnumSet.allOf(Role.class)));

    @Inject
    ClientAuthentication authentication;

    /** A Provider, so that building the interceptor on the event loop does not open the database there. */
    @Inject
    jakarta.inject.Provider<AuditWriter> audit;

    /** Refusals waiting for their audit leaf; beyond this, a flood is audited in summary (see {@link #refuse}). */
    static final int AUDIT_QUEUE = 1024;

    /** Audit writes block; they run here rather than on the event loop, one at a time, from a bounded queue. */
    private final java.util.concurrent.ThreadPoolExecutor auditor = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0,
            java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.ArrayBlockingQueue<>(AUDIT_QUEUE), r -> {
                Thread t = new Thread(r, "access-denied-audit");
                t.setDaemon(true);
                return t;
            });

    /**
     * Refusals that found the queue full, counted per caller and method (both bounded: callers are
     * configured identities), and written as one {@code access_denied} leaf with a count each.
     */
    private final java.util.concurrent.ConcurrentMap<java.util.List<String>, java.util.concurrent.atomic.AtomicLong> overflow =
            new java.util.concurrent.ConcurrentHashMap<>();

    static Set<Role> allowed(String fullMethodName, String serviceName) {
        Set<Role> method = ALLOWED.get(fullMethodName);
        return method != null ? method : ALLOWED.getOrDefault(serviceName, Set.of());
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                                                                 ServerCallHandler<ReqT, RespT> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        CallerIdentity caller;
        try {
            caller = authentication.identify(call);
        } catch (RevokedClientException revoked) {
            return refuse(call, method, revoked.caller(), revoked, Map.of("method", method, "reason", "client certificate revoked"));
        } catch (RuntimeException e) {
            // Unidentified callers are refused without an audit leaf: nothing names them.
            StatusException status = GrpcErrorMapping.toStatus(e);
            call.close(status.getStatus(), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        Set<Role> allowed = allowed(method, call.getMethodDescriptor().getServiceName());
        if (caller.roles().stream().noneMatch(allowed::contains)) {
            AccessDeniedException denied = new AccessDeniedException("caller " + caller.name() + " with role "
                    + caller.roles() + " may not call " + method);
            return refuse(call, method, caller, denied, Map.of("method", method, "roles", caller.roles().toString()));
        }
        return Contexts.interceptCall(Context.current().withValue(CallerIdentity.KEY, caller), call, headers, next);
    }

    /** Audits {@code access_denied} for a named caller, then closes the call with the refusal's status. */
    private <ReqT, RespT> ServerCall.Listener<ReqT> refuse(ServerCall<ReqT, RespT> call, String method, CallerIdentity caller,
                                                           RuntimeException refusal, Map<String, String> fields) {
        try {
            auditor.execute(() -> {
                try {
                    audit.get().append("access_denied", caller.name(), fields);
                    auditOverflow();
                } catch (RuntimeException e) {
                    LOG.errorf("could not audit a refused call to %s by %s: %s", method, caller.name(), e.getMessage());
                }
                call.close(GrpcErrorMapping.toStatus(refusal).getStatus(), new Metadata());
            });
        } catch (java.util.concurrent.RejectedExecutionException flood) {
            // A flood of refused calls: answer at once, and count them for one summary leaf,
            // instead of holding every call and a pending write in memory.
            overflow.computeIfAbsent(List.of(caller.name(), method, fields.getOrDefault("reason", "role")),
                    k -> new java.util.concurrent.atomic.AtomicLong()).incrementAndGet();
            call.close(GrpcErrorMapping.toStatus(refusal).getStatus(), new Metadata());
        }
        return new ServerCall.Listener<>() {};
    }

    /** Writes one {@code access_denied} leaf per caller and method whose refusals overflowed the queue, with their count. */
    private void auditOverflow() {
        for (var e : overflow.entrySet()) {
            long n = e.getValue().getAndSet(0);
            if (n > 0) {
                audit.get().append("access_denied", e.getKey().get(0), Map.of("method", e.getKey().get(1),
                        "reason", e.getKey().get(2), "count", Long.toString(n), "summary", "refusals beyond the audit queue"));
            }
        }
    }

    @PreDestroy
    void stop() {
        auditor.shutdown();
    }
}
