package io.escrow.transport;

import io.escrow.agent.AgentConsent;
import io.escrow.agent.CustodianAgentCore;
import io.escrow.agent.PartialRequest;
import io.escrow.proto.v1.AgentActivateRequest;
import io.escrow.proto.v1.AgentActivation;
import io.escrow.proto.v1.AgentActivationList;
import io.escrow.proto.v1.AgentDeactivateRequest;
import io.escrow.proto.v1.AgentDescription;
import io.escrow.proto.v1.AgentListActivationsRequest;
import io.escrow.proto.v1.AgentRevokeWarrantRequest;
import io.escrow.proto.v1.AuthorityApproval;
import io.escrow.proto.v1.CustodianAgentGrpc;
import io.escrow.proto.v1.DescribeAgentRequest;
import io.escrow.proto.v1.PartialRecord;
import io.escrow.proto.v1.PartialsRequest;
import io.escrow.proto.v1.PartialsResponse;
import io.escrow.error.InvalidArgumentException;
import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The custodian agent's gRPC edge ({@code escrow.v1.CustodianAgent}): turns messages into calls
 * on {@link CustodianAgentCore} and typed errors into statuses (through {@link GrpcErrorMapping}).
 */
public final class CustodianAgentEndpoint extends CustodianAgentGrpc.CustodianAgentImplBase {
    private final CustodianAgentCore agent;

    public CustodianAgentEndpoint(CustodianAgentCore agent) {
        this.agent = agent;
    }

    @Override
    public io.grpc.ServerServiceDefinition bindService() {
        return MalformedRequests.wrap(super.bindService());
    }

    private static <T> void answer(com.google.protobuf.Message request, StreamObserver<T> out, Supplier<T> call) {
        T value;
        try {
            MalformedRequests.reject(request);
            value = call.get();
        } catch (RuntimeException e) {
            out.onError(GrpcErrorMapping.toStatus(e));
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }

    @Override
    public void describe(DescribeAgentRequest request, StreamObserver<AgentDescription> out) {
        answer(request, out, () -> AgentDescription.newBuilder().setCustodianId(agent.custodianId())
                .addAllRequiredAuthorities(agent.policy().required()).build());
    }

    @Override
    public void activate(AgentActivateRequest request, StreamObserver<AgentActivation> out) {
        answer(request, out, () -> {
            var w = request.getWarrant();
            SortedMap<String, byte[]> approvals = new TreeMap<>();
            for (AuthorityApproval a : w.getApprovalsList()) {
                if (approvals.put(a.getAuthority(), a.getCmsSignature().toByteArray()) != null) {
                    throw new InvalidArgumentException("warrant.approvals", "names " + a.getAuthority() + " twice");
                }
            }
            return toProto(agent.activate(w.getWarrantId(), w.getSignedBytes().toByteArray(), approvals,
                    request.getConsentStatement().toByteArray(), request.getConsentSignature().toByteArray()));
        });
    }

    @Override
    public void deactivate(AgentDeactivateRequest request, StreamObserver<AgentActivation> out) {
        answer(request, out, () -> toProto(agent.deactivate(request.getWarrantId())));
    }

    @Override
    public void listActivations(AgentListActivationsRequest request, StreamObserver<AgentActivationList> out) {
        answer(request, out, () -> list(agent.list(request.getWarrantId())));
    }

    @Override
    public void revokeWarrant(AgentRevokeWarrantRequest request, StreamObserver<AgentActivationList> out) {
        answer(request, out, () -> list(agent.revoke(request.getWarrantId(), request.getCmsSignature().toByteArray())));
    }

    @Override
    public void computePartials(PartialsRequest request, StreamObserver<PartialsResponse> out) {
        answer(request, out, () -> {
            List<PartialRequest> records = request.getRecordsList().stream().map(CustodianAgentEndpoint::fromProto).toList();
            PartialsResponse.Builder b = PartialsResponse.newBuilder();
            var page = new io.escrow.agent.PageEvidence(request.getCheckpoint().toByteArray(),
                    request.getCheckpointSignature().toByteArray(), request.getSubjectSalt().toByteArray(),
                    request.getCheckpointNote().toByteArray());
            for (byte[] x : agent.computePartials(request.getWarrantId(), records, page)) {
                b.addX(ByteString.copyFrom(x));
            }
            return b.build();
        });
    }

    @Override
    public void attestKey(io.escrow.proto.v1.AttestKeyRequest request, StreamObserver<io.escrow.proto.v1.KeyAttestation> out) {
        answer(request, out, () -> EscrowKeyMessages.attestation(agent.attestKey(request.getKeyRecord().toByteArray())));
    }

    @Override
    public void consentRetirement(io.escrow.proto.v1.AgentRetirementConsentRequest request,
                                  StreamObserver<io.escrow.proto.v1.AgentRetirement> out) {
        answer(request, out, () -> RetirementMessages.toProto(agent.consentRetirement(request.getKeyRecord().toByteArray(),
                request.getStatement().toByteArray(), request.getSignature().toByteArray())));
    }

    @Override
    public void getRetirement(io.escrow.proto.v1.AgentGetRetirementRequest request, StreamObserver<io.escrow.proto.v1.AgentRetirement> out) {
        answer(request, out, () -> RetirementMessages.toProto(agent.retirement(request.getKeyId())));
    }

    @Override
    public void destroyShare(io.escrow.proto.v1.AgentDestroyShareRequest request, StreamObserver<io.escrow.proto.v1.AgentRetirement> out) {
        answer(request, out, () -> RetirementMessages.toProto(agent.destroyShare(request.getKeyId())));
    }

    @Override
    public void consentCeremony(io.escrow.proto.v1.AgentCeremonyConsentRequest request,
                                StreamObserver<io.escrow.proto.v1.AgentCeremony> out) {
        answer(request, out, () -> CeremonyMessages.toProto(agent.consentCeremony(request.getStatement().toByteArray(),
                request.getSignature().toByteArray())));
    }

    @Override
    public void getCeremony(io.escrow.proto.v1.AgentGetCeremonyRequest request, StreamObserver<io.escrow.proto.v1.AgentCeremony> out) {
        answer(request, out, () -> CeremonyMessages.toProto(agent.ceremonyTransportKey(request.getKeyId())));
    }

    @Override
    public void receiveShare(io.escrow.proto.v1.AgentReceiveShareRequest request, StreamObserver<io.escrow.proto.v1.KeyAttestation> out) {
        answer(request, out, () -> EscrowKeyMessages.attestation(agent.receiveShare(request.getKeyRecord().toByteArray(), request.getEnc().toByteArray(),
                request.getCiphertext().toByteArray())));
    }

    private static PartialRequest fromProto(PartialRecord r) {
        var evidence = new io.escrow.agent.RecordEvidence(r.getCiphertext().toByteArray(), r.getDepositIndex(),
                r.getDepositLeaf().toByteArray(), r.getDepositProofList().stream().map(ByteString::toByteArray).toList(),
                r.getReleaseIndex(), r.getReleaseLeaf().toByteArray(),
                r.getReleaseProofList().stream().map(ByteString::toByteArray).toList());
        return new PartialRequest(r.getRecordId(), r.getSubjectId(), r.getKeyId(), r.getCoversFrom(), r.getCoversUntil(),
                r.getEnc().toByteArray(), evidence);
    }

    private static AgentActivationList list(List<AgentConsent> consents) {
        AgentActivationList.Builder b = AgentActivationList.newBuilder();
        consents.forEach(c -> b.addActivations(toProto(c)));
        return b.build();
    }

    public static AgentActivation toProto(AgentConsent c) {
        return AgentActivation.newBuilder().setCustodianId(c.custodianId()).setWarrantId(c.warrantId())
                .setState(AgentActivation.State.valueOf(c.state().name())).setExpiresAt(ProtoTime.of(c.expiresAt()))
                .setUsesLeft(c.usesLeft()).setRecordsOpened(c.recordsOpened()).build();
    }
}
