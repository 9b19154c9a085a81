package io.escrow.transport;

import com.google.protobuf.ByteString;
import io.escrow.agent.KeyAttestor;
import io.escrow.hpke.HpkeSuite;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowKeyInfo;
import io.escrow.threshold.CustodianShare;
import io.escrow.threshold.KeyRecord;
import java.util.List;

/** Escrow keys as EscrowService messages; nothing else sees these protos. */
final class EscrowKeyMessages {
    private EscrowKeyMessages() {}

    /** An agent's key attestation as the message both EscrowKey and the agent's answers carry. */
    static io.escrow.proto.v1.KeyAttestation attestation(KeyAttestor.Attestation a) {
        return io.escrow.proto.v1.KeyAttestation.newBuilder().setCustodianId(a.custodianId())
                .setStatement(ByteString.copyFrom(a.statement())).setCmsSignature(ByteString.copyFrom(a.cms())).build();
    }

    static EscrowKey toProto(KeyRecord key, List<KeyAttestor.Attestation> attested) {
        EscrowKey.Builder b = EscrowKey.newBuilder();
        attested.forEach(x -> b.addAttestations(attestation(x)));
        return b.setKeyId(key.keyId())
                .setPublicKey(ByteString.copyFrom(key.publicKeyBytes()))
                .setThreshold(key.threshold())
                .setCustodianCount(key.parameters().custodians())
                .setKemId(HpkeSuite.KEM_ID)
                .setKdfId(HpkeSuite.KDF_ID)
                .setAeadId(HpkeSuite.P256_SHA256_AES256GCM.aeadId())
                .build();
    }

    static EscrowKeyInfo info(KeyRecord key, List<KeyAttestor.Attestation> attested, boolean current,
                              java.util.Optional<io.escrow.keys.RetiredKeys.Retirement> retired) {
        EscrowKeyInfo.Builder b = EscrowKeyInfo.newBuilder().setKey(toProto(key, attested))
                .addAllCustodianIds(key.shares().stream().map(CustodianShare::custodianId).toList())
                .setCreatedAt(ProtoTime.of(key.createdAt())).setCurrent(current);
        retired.ifPresent(r -> b.setRetiredAt(ProtoTime.of(r.retiredAt())));
        return b.build();
    }

    static io.escrow.proto.v1.KeyRetirement retirement(io.escrow.retirement.KeyRetirement.Outcome o) {
        io.escrow.proto.v1.KeyRetirement.Builder b = io.escrow.proto.v1.KeyRetirement.newBuilder()
                .setKeyId(o.retirement().keyId()).setRetiredAt(ProtoTime.of(o.retirement().retiredAt()))
                .setAuditIndex(o.retirement().auditIndex()).setDepositsDropped(o.depositsDropped()).addAllConsented(o.consented());
        o.destroyed().forEach((id, d) -> b.addDestroyed(io.escrow.proto.v1.ShareDestruction.newBuilder().setCustodianId(id)
                .setStatement(com.google.protobuf.ByteString.copyFrom(d.statement()))
                .setCmsSignature(com.google.protobuf.ByteString.copyFrom(d.cms()))));
        return b.build();
    }
}
