package io.escrow.transport;

import io.escrow.proto.v1.ApproveWarrantRequest;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.GetWarrantRequest;
import io.escrow.proto.v1.ListWarrantsRequest;
import io.escrow.proto.v1.ListWarrantsResponse;
import io.escrow.proto.v1.RevokeWarrantRequest;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.warrant.WarrantService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import io.smallrye.common.annotation.Blocking;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;

/**
 * WarrantService: agencies file, authorities approve and revoke (per-method roles are enforced by
 * {@link AccessControlInterceptor}).
 */
@GrpcService
public class WarrantGrpcService extends WarrantServiceGrpc.WarrantServiceImplBase {
    /** A Provider, so that the gRPC server starting on the event loop does not open the database there. */
    @Inject
    jakarta.inject.Provider<WarrantService> warrants;

    @Inject
    jakarta.inject.Provider<io.escrow.app.CustodianAgents> agents;

    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.wrap(super.bindService());
    }

    @Override
    @Blocking
    public void fileWarrant(FileWarrantRequest request, StreamObserver<Warrant> response) {
        CallerIdentity caller = CallerIdentity.current();
        reply(response, warrants.get().file(caller.name(), WarrantMessages.toRequest(request)));
    }

    @Override
    @Blocking
    public void approveWarrant(ApproveWarrantRequest request, StreamObserver<Warrant> response) {
        CallerIdentity caller = CallerIdentity.current();
        MalformedRequests.reject(request);
        reply(response, warrants.get().approve(caller.name(), request.getWarrantId(), request.getCmsSignature().toByteArray()));
    }

    @Override
    @Blocking
    public void revokeWarrant(RevokeWarrantRequest request, StreamObserver<Warrant> response) {
        CallerIdentity caller = CallerIdentity.current();
        MalformedRequests.reject(request);
        byte[] cms = request.getCmsSignature().toByteArray();
        var revoked = warrants.get().revoke(caller.name(), request.getWarrantId(), cms);
        // Custodian agents check the revocation themselves and never answer for the warrant again.
        agents.get().consents().ifPresent(a -> a.revoked(request.getWarrantId(), cms));
        reply(response, revoked);
    }

    @Override
    @Blocking
    public void getWarrant(GetWarrantRequest request, StreamObserver<Warrant> response) {
        MalformedRequests.reject(request);
        reply(response, warrants.get().get(request.getWarrantId()));
    }

    /**
     * Agencies see the warrants they filed; a caller holding any other role that may read
     * warrants (authority, overseer, operator) sees all of them.
     */
    @Override
    @Blocking
    public void listWarrants(ListWarrantsRequest request, StreamObserver<ListWarrantsResponse> response) {
        MalformedRequests.reject(request);
        CallerIdentity caller = CallerIdentity.current();
        boolean all = caller.roles().stream().anyMatch(r -> r == Role.AUTHORITY || r == Role.OVERSEER || r == Role.OPERATOR);
        long after = WarrantPages.after(request.getPageToken());
        int size = request.getPageSize() == 0 ? WarrantPages.DEFAULT_SIZE : (int) Math.min(request.getPageSize(), Integer.MAX_VALUE);
        WarrantService service = warrants.get();
        var page = service.list(all ? java.util.Optional.empty() : java.util.Optional.of(caller.name()), after, size);
        ListWarrantsResponse.Builder b = ListWarrantsResponse.newBuilder();
        page.warrants().forEach(w -> b.addWarrants(WarrantMessages.toProto(w, service.state(w))));
        if (page.warrants().size() == size) {
            b.setNextPageToken(WarrantPages.token(page.lastAuditIndex()));
        }
        response.onNext(b.build());
        response.onCompleted();
    }

    private void reply(StreamObserver<Warrant> response, io.escrow.warrant.Warrant w) {
        response.onNext(WarrantMessages.toProto(w, warrants.get().state(w)));
        response.onCompleted();
    }
}
