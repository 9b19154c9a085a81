package io.escrow.transport;

import com.google.protobuf.ByteString;
import io.escrow.proto.v1.Approval;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.RecoveredKey;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantSpec;
import io.escrow.warrant.WarrantRequest;
import io.escrow.warrant.WarrantState;

/** Converts warrant and recovery messages to and from the domain; nothing else sees these protos. */
final class WarrantMessages {
    private WarrantMessages() {}

    static WarrantRequest toRequest(FileWarrantRequest r) {
        MalformedRequests.reject(r);
        WarrantSpec s = r.getSpec();
        return new WarrantRequest(s.getCaseReference(), s.getRequestingAgency(), s.getSubjectIdsList(),
                ProtoTime.optional(s.hasCoversFrom(), s.getCoversFrom()),
                ProtoTime.optional(s.hasCoversUntil(), s.getCoversUntil()),
                ProtoTime.optional(s.hasNotBefore(), s.getNotBefore()),
                ProtoTime.optional(s.hasNotAfter(), s.getNotAfter()),
                Integer.toUnsignedLong(s.getMaxRecords()), s.getRecipientPublicKey().toByteArray(), s.getNonce().toByteArray());
    }

    static Warrant toProto(io.escrow.warrant.Warrant w, WarrantState state) {
        io.escrow.warrant.WarrantSpec s = w.spec();
        Warrant.Builder b = Warrant.newBuilder()
                .setWarrantId(w.warrantId())
                .setSpec(WarrantSpec.newBuilder()
                        .setCaseReference(s.caseReference())
                        .setRequestingAgency(s.requestingAgency())
                        .addAllSubjectIds(s.subjectIds())
                        .setCoversFrom(ProtoTime.seconds(s.coversFrom()))
                        .setCoversUntil(ProtoTime.seconds(s.coversUntil()))
                        .setNotBefore(ProtoTime.seconds(s.notBefore()))
                        .setNotAfter(ProtoTime.seconds(s.notAfter()))
                        .setMaxRecords(s.maxRecords())
                        .setRecipientPublicKey(ByteString.copyFrom(s.recipientPublicKey()))
                        .setNonce(ByteString.copyFrom(s.nonce())))
                .setSignedBytes(ByteString.copyFrom(w.signedBytes()))
                .setState(Warrant.WarrantState.valueOf(state.name()))
                .setRecordsReleased(w.recordsReleased());
        for (io.escrow.warrant.Approval a : w.approvals()) {
            b.addApprovals(Approval.newBuilder().setAuthority(a.authority()).setSigner(a.signer())
                    .setApprovedAt(ProtoTime.of(a.approvedAt())).setCmsSignature(ByteString.copyFrom(a.cms())));
        }
        return b.build();
    }

    static RecoveredKey toProto(io.escrow.recovery.RecoveredKey k) {
        return RecoveredKey.newBuilder()
                .setRecordId(k.recordId().toString())
                .setSubjectId(k.subjectId())
                .setCoversFrom(ProtoTime.seconds(k.coversFrom()))
                .setCoversUntil(ProtoTime.seconds(k.coversUntil()))
                .setEnc(ByteString.copyFrom(k.enc()))
                .setSealedKey(ByteString.copyFrom(k.sealedKey()))
                .setAuditIndex(k.auditIndex())
                .build();
    }
}
