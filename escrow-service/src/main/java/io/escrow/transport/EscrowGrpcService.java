package io.escrow.transport;

import io.escrow.deposit.Deposit;
import io.escrow.deposit.DepositLog;
import io.escrow.error.InvalidArgumentException;
import io.escrow.keys.KeyRegistry;
import io.escrow.keys.NoEscrowKeyException;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.GetServiceStatusRequest;
import io.escrow.proto.v1.ListEscrowKeysRequest;
import io.escrow.proto.v1.ListEscrowKeysResponse;
import io.escrow.proto.v1.KeyRetirement;
import io.escrow.proto.v1.RetireEscrowKeyRequest;
import io.escrow.proto.v1.ServiceCheck;
import io.escrow.proto.v1.ServiceStatus;
import io.escrow.threshold.KeyRecord;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import java.util.List;

/**
 * EscrowService for messaging providers. Deposits are validated on the calling thread, then
 * completed asynchronously when the group commit that holds them is durable.
 */
@GrpcService
public class EscrowGrpcService extends EscrowServiceGrpc.EscrowServiceImplBase {
    @Inject
    KeyRegistry keys;

    @Inject
    jakarta.inject.Provider<io.escrow.app.CustodianAgents> agents;

    @Inject
    jakarta.inject.Provider<io.escrow.app.ServiceStatusReport> status;

    @Inject
    jakarta.inject.Provider<io.escrow.keys.RetiredKeys> retired;

    @Inject
    jakarta.inject.Provider<java.util.Optional<io.escrow.retirement.KeyRetirement>> retirement;

    @Inject
    jakarta.inject.Provider<java.util.Optional<io.escrow.ceremony.AgentKeyCeremony>> ceremony;

    /** A Provider, so that the gRPC server starting on the event loop does not open the database there. */
    @Inject
    jakarta.inject.Provider<DepositLog> deposits;

    /** Malformed UTF-8 in a request string becomes INVALID_ARGUMENT naming the field, not UNKNOWN. */
    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.wrap(super.bindService());
    }

    @Override
    @Blocking
    public void getEscrowKey(GetEscrowKeyRequest request, StreamObserver<EscrowKey> response) {
        MalformedRequests.reject(request);
        // With custodian agents, the current key is the newest one t agents attested.
        var attestations = agents.get().attestations();
        KeyRecord key;
        List<io.escrow.agent.KeyAttestor.Attestation> attested = List.of();
        if (!request.getKeyId().isEmpty()) {
            key = keys.require(request.getKeyId());
            retired.get().requireLive(key.keyId());
            if (attestations.isPresent()) {
                attested = attestations.get().stored(key.keyId());
            }
        } else if (attestations.isPresent()) {
            var current = attestations.get().current().orElseThrow(NoEscrowKeyException::new);
            key = current.key();
            attested = current.attestations();
        } else {
            key = keys.current().orElseThrow(NoEscrowKeyException::new);
        }
        response.onNext(EscrowKeyMessages.toProto(key, attested));
        response.onCompleted();
    }

    /** Every key, newest first; current is the key GetEscrowKey would serve. */
    @Override
    @Blocking
    public void listEscrowKeys(ListEscrowKeysRequest request, StreamObserver<ListEscrowKeysResponse> response) {
        MalformedRequests.reject(request);
        var attestations = agents.get().attestations();
        String current = (attestations.isPresent() ? attestations.get().current().map(a -> a.key()) : keys.current())
                .map(KeyRecord::keyId).orElse("");
        ListEscrowKeysResponse.Builder b = ListEscrowKeysResponse.newBuilder();
        keys.all().stream().sorted(java.util.Comparator.comparing(KeyRecord::createdAt).reversed()).forEach(k -> b.addKeys(
                EscrowKeyMessages.info(k, attestations.map(a -> a.stored(k.keyId())).orElse(List.of()), k.keyId().equals(current),
                        retired.get().find(k.keyId()))));
        response.onNext(b.build());
        response.onCompleted();
    }

    /** Operators: retire a key through the custodians' agents ({@link io.escrow.retirement.KeyRetirement}). */
    @Override
    @Blocking
    public void retireEscrowKey(RetireEscrowKeyRequest request, StreamObserver<KeyRetirement> response) {
        MalformedRequests.reject(request);
        var outcome = retirement.get().orElseThrow(io.escrow.retirement.KeyRetirement::withoutAgents)
                .retire(request.getKeyId(), CallerIdentity.current().name());
        response.onNext(EscrowKeyMessages.retirement(outcome));
        response.onCompleted();
    }

    /** Operators: a new key's ceremony through the custodians' agents ({@link io.escrow.ceremony.AgentKeyCeremony}). */
    @Override
    @Blocking
    public void createEscrowKey(io.escrow.proto.v1.CreateEscrowKeyRequest request,
                                StreamObserver<io.escrow.proto.v1.CreatedEscrowKey> response) {
        MalformedRequests.reject(request);
        var created = ceremony.get().orElseThrow(io.escrow.ceremony.AgentKeyCeremony::withoutAgents)
                .create(request.getKeyId(), request.getThreshold(), CallerIdentity.current().name());
        KeyRecord key = created.record();
        var attestations = agents.get().attestations();
        if (created.notRecorded().isEmpty()) {
            // The agents' attestations publish it (key_attested, key_published) before it is served.
            attestations.ifPresent(a -> a.current());
        }
        var b = io.escrow.proto.v1.CreatedEscrowKey.newBuilder()
                .setKey(EscrowKeyMessages.toProto(key, attestations.map(a -> a.stored(key.keyId())).orElse(List.of())))
                .setKeyRecord(com.google.protobuf.ByteString.copyFrom(created.json())).setRecorded(created.notRecorded().isEmpty());
        created.notRecorded().ifPresent(b::setNotRecordedReason);
        response.onNext(b.build());
        response.onCompleted();
    }

    @Override
    @Blocking
    public void getServiceStatus(GetServiceStatusRequest request, StreamObserver<ServiceStatus> response) {
        MalformedRequests.reject(request);
        ServiceStatus.Builder b = ServiceStatus.newBuilder();
        boolean ready = true;
        for (var check : status.get().run()) {
            b.addChecks(ServiceCheck.newBuilder().setName(check.name()).setUp(check.up()).putAllData(check.data()));
            ready &= check.up();
        }
        response.onNext(b.setReady(ready).build());
        response.onCompleted();
    }

    @Override
    public void deposit(DepositRequest request, StreamObserver<DepositReceipt> response) {
        Deposit deposit;
        try {
            deposit = DepositRequests.toDeposit(request, keys);
        } catch (InvalidArgumentException e) {
            deposits.get().rejected(e.field());
            throw e;
        }
        deposits.get().submit(CallerIdentity.current().name(), deposit).whenComplete((receipt, error) -> {
            if (error != null) {
                response.onError(GrpcErrorMapping.toStatus(error));
            } else {
                response.onNext(DepositRequests.toProto(receipt));
                response.onCompleted();
            }
        });
    }

    private final DepositStreamSlots streamSlots = DepositStreamSlots.load(
            k -> org.eclipse.microprofile.config.ConfigProvider.getConfig().getOptionalValue(k, String.class));

    @Override
    public StreamObserver<DepositRequest> depositStream(StreamObserver<DepositReceipt> response) {
        String caller = CallerIdentity.current().name();
        Runnable slot;
        try {
            slot = streamSlots.acquire(caller);
        } catch (DepositStreamSlots.TooManyStreamsException e) {
            response.onError(GrpcErrorMapping.toStatus(e));
            return new StreamObserver<>() {
                public void onNext(DepositRequest value) {}
                public void onError(Throwable t) {}
                public void onCompleted() {}
            };
        }
        return new DepositStreamHandler(response, deposits.get(), keys, caller, slot);
    }
}
