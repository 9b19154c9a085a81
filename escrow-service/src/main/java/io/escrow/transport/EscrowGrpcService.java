package io.escrow.transport;

import com.google.protobuf.ByteString;
import io.escrow.deposit.Deposit;
import io.escrow.deposit.DepositLog;
import io.escrow.error.InvalidArgumentException;
import io.escrow.hpke.HpkeSuite;
import io.escrow.keys.KeyRegistry;
import io.escrow.keys.NoEscrowKeyException;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
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

    /** A Provider, so that the gRPC server starting on the event loop does not open the database there. */
    @Inject
    jakarta.inject.Provider<DepositLog> deposits;

    /** Malformed UTF-8 in a request string becomes INVALID_ARGUMENT naming the field, not UNKNOWN. */
    @Override
    public ServerServiceDefinition bindService() {
        return Utf8CheckingMarshaller.wrap(super.bindService());
    }

    @Override
    @Blocking
    public void getEscrowKey(GetEscrowKeyRequest request, StreamObserver<EscrowKey> response) {
        Utf8CheckingMarshaller.rejectIfMalformed(request);
        // With custodian agents, the current key is the newest one t agents attested.
        var attestations = agents.get().attestations();
        KeyRecord key;
        List<io.escrow.agent.KeyAttestor.Attestation> attested = List.of();
        if (!request.getKeyId().isEmpty()) {
            key = keys.require(request.getKeyId());
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
        EscrowKey.Builder b = EscrowKey.newBuilder();
        attested.forEach(x -> b.addAttestations(io.escrow.proto.v1.KeyAttestation.newBuilder()
                .setCustodianId(x.custodianId()).setStatement(ByteString.copyFrom(x.statement()))
                .setCmsSignature(ByteString.copyFrom(x.cms()))));
        response.onNext(b
                .setKeyId(key.keyId())
                .setPublicKey(ByteString.copyFrom(key.publicKeyBytes()))
                .setThreshold(key.threshold())
                .setCustodianCount(key.parameters().custodians())
                .setKemId(HpkeSuite.KEM_ID)
                .setKdfId(HpkeSuite.KDF_ID)
                .setAeadId(HpkeSuite.P256_SHA256_AES256GCM.aeadId())
                .build());
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

    @Override
    public StreamObserver<DepositRequest> depositStream(StreamObserver<DepositReceipt> response) {
        return new DepositStreamHandler(response, deposits.get(), keys, CallerIdentity.current().name());
    }
}
