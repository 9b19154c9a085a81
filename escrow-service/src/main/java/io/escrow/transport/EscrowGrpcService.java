package io.escrow.transport;

import io.escrow.hpke.HpkeSuite;
import io.escrow.keys.KeyRegistry;
import io.escrow.keys.NoEscrowKeyException;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.threshold.KeyRecord;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import com.google.protobuf.ByteString;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

/**
 * EscrowService for messaging providers. Deposit and DepositStream arrive with the storage layer;
 * until then the generated base answers them with UNIMPLEMENTED.
 */
@GrpcService
@Blocking
public class EscrowGrpcService extends EscrowServiceGrpc.EscrowServiceImplBase {
    @Inject
    KeyRegistry keys;

    @Override
    public void getEscrowKey(GetEscrowKeyRequest request, StreamObserver<EscrowKey> response) {
        KeyRecord key = request.getKeyId().isEmpty()
                ? keys.current().orElseThrow(NoEscrowKeyException::new)
                : keys.require(request.getKeyId());
        response.onNext(EscrowKey.newBuilder()
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
}
