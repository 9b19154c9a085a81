package io.escrow.transport;

import com.google.protobuf.ByteString;
import io.escrow.agent.AgentConsent;
import io.escrow.agent.PartialRequest;
import io.escrow.consent.AgentCallException;
import io.escrow.consent.AgentLink;
import io.escrow.error.EscrowException;
import io.escrow.proto.v1.AgentActivateRequest;
import io.escrow.proto.v1.AgentActivation;
import io.escrow.proto.v1.AgentDeactivateRequest;
import io.escrow.proto.v1.AgentListActivationsRequest;
import io.escrow.proto.v1.AgentRevokeWarrantRequest;
import io.escrow.proto.v1.AuthorityApproval;
import io.escrow.proto.v1.CustodianAgentGrpc;
import io.escrow.proto.v1.PartialRecord;
import io.escrow.proto.v1.PartialsRequest;
import io.escrow.proto.v1.WarrantEvidence;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A custodian agent reached over gRPC: mutual TLS with the service's client certificate, or
 * plaintext to a loopback agent in development. Each call has a deadline, and any failure becomes
 * an {@link AgentCallException} naming the custodian, with the agent's own status.
 */
public final class GrpcAgentLink implements AgentLink {
    /** The service's TLS identity toward an agent, and the CA the agent's certificate must chain to. */
    public record Tls(Path agentCa, Path certificate, Path key) {}

    private final String custodianId;
    private final String target;
    private final ManagedChannel channel;
    private final CustodianAgentGrpc.CustodianAgentBlockingStub stub;
    private final Duration deadline;

    private final io.micrometer.core.instrument.MeterRegistry meters;
    private final io.micrometer.core.instrument.Counter errors;

    /**
     * @param meters where each call's latency ({@code escrow.custodian.agent.latency{custodian,call}})
     *               and failures ({@code escrow.custodian.agent.errors{custodian}}) are recorded
     */
    public GrpcAgentLink(String custodianId, String target, Optional<Tls> tls, Duration deadline,
                         io.micrometer.core.instrument.MeterRegistry meters) {
        this.custodianId = custodianId;
        this.target = target;
        this.deadline = deadline;
        this.meters = meters;
        this.errors = io.micrometer.core.instrument.Counter.builder("escrow.custodian.agent.errors")
                .description("Calls to a custodian's agent that failed or were refused").tag("custodian", custodianId)
                .register(meters);
        ChannelCredentials credentials = InsecureChannelCredentials.create();
        if (tls.isPresent()) {
            try {
                credentials = TlsChannelCredentials.newBuilder().trustManager(tls.get().agentCa().toFile())
                        .keyManager(tls.get().certificate().toFile(), tls.get().key().toFile()).build();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the TLS files for the agent of " + custodianId + ": "
                        + e.getMessage(), e);
            }
        }
        this.channel = Grpc.newChannelBuilder(target, credentials).maxInboundMessageSize(16 << 20).build();
        this.stub = CustodianAgentGrpc.newBlockingStub(channel);
    }

    @Override
    public String custodianId() {
        return custodianId;
    }

    @Override
    public String target() {
        return target;
    }

    private <T> T call(String name, Function<CustodianAgentGrpc.CustodianAgentBlockingStub, T> rpc) {
        long start = System.nanoTime();
        try {
            return rpc.apply(stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS));
        } catch (StatusRuntimeException e) {
            errors.increment();
            EscrowException.Category category = switch (e.getStatus().getCode()) {
                case INVALID_ARGUMENT -> EscrowException.Category.INVALID_ARGUMENT;
                case NOT_FOUND -> EscrowException.Category.NOT_FOUND;
                case ALREADY_EXISTS -> EscrowException.Category.ALREADY_EXISTS;
                case PERMISSION_DENIED, UNAUTHENTICATED -> EscrowException.Category.PERMISSION_DENIED;
                case FAILED_PRECONDITION -> EscrowException.Category.FAILED_PRECONDITION;
                default -> EscrowException.Category.UNAVAILABLE;
            };
            String why = e.getStatus().getDescription() == null ? e.getStatus().getCode().name() : e.getStatus().getDescription();
            throw new AgentCallException(custodianId, category, category == EscrowException.Category.UNAVAILABLE
                    ? "unreachable at " + target + " (" + e.getStatus().getCode() + ": " + why + ")" : why);
        } finally {
            io.micrometer.core.instrument.Timer.builder("escrow.custodian.agent.latency")
                    .description("Calls to a custodian's agent (a page of partials is one call)")
                    .tag("custodian", custodianId).tag("call", name).publishPercentiles(0.5, 0.99).register(meters)
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public String describe() {
        return call("describe", s -> s.describe(io.escrow.proto.v1.DescribeAgentRequest.getDefaultInstance())).getCustodianId();
    }

    @Override
    public AgentConsent activate(String warrantId, byte[] signedBytes, SortedMap<String, byte[]> approvals, byte[] statement,
                                 byte[] statementSignature) {
        WarrantEvidence.Builder w = WarrantEvidence.newBuilder().setWarrantId(warrantId).setSignedBytes(ByteString.copyFrom(signedBytes));
        approvals.forEach((name, cms) -> w.addApprovals(AuthorityApproval.newBuilder().setAuthority(name)
                .setCmsSignature(ByteString.copyFrom(cms))));
        AgentActivateRequest request = AgentActivateRequest.newBuilder().setWarrant(w)
                .setConsentStatement(ByteString.copyFrom(statement))
                .setConsentSignature(ByteString.copyFrom(statementSignature)).build();
        return fromProto(call("activate", s -> s.activate(request)));
    }

    @Override
    public AgentConsent deactivate(String warrantId) {
        return fromProto(call("deactivate", s -> s.deactivate(AgentDeactivateRequest.newBuilder().setWarrantId(warrantId).build())));
    }

    @Override
    public List<AgentConsent> list(String warrantId) {
        return call("list", s -> s.listActivations(AgentListActivationsRequest.newBuilder().setWarrantId(warrantId).build()))
                .getActivationsList().stream().map(GrpcAgentLink::fromProto).toList();
    }

    @Override
    public List<AgentConsent> revoke(String warrantId, byte[] cms) {
        return call("revoke", s -> s.revokeWarrant(AgentRevokeWarrantRequest.newBuilder().setWarrantId(warrantId)
                .setCmsSignature(ByteString.copyFrom(cms)).build())).getActivationsList().stream()
                .map(GrpcAgentLink::fromProto).toList();
    }

    @Override
    public io.escrow.agent.KeyAttestor.Attestation attestKey(byte[] keyRecordJson) {
        return attestation(call("attest", s -> s.attestKey(io.escrow.proto.v1.AttestKeyRequest.newBuilder()
                .setKeyRecord(ByteString.copyFrom(keyRecordJson)).build())));
    }

    /** An attestation that must be this custodian's own. */
    private io.escrow.agent.KeyAttestor.Attestation attestation(io.escrow.proto.v1.KeyAttestation a) {
        if (!a.getCustodianId().equals(custodianId)) {
            throw new AgentCallException(custodianId, EscrowException.Category.UNAVAILABLE, "attested as " + a.getCustodianId());
        }
        return new io.escrow.agent.KeyAttestor.Attestation(a.getCustodianId(), a.getStatement().toByteArray(),
                a.getCmsSignature().toByteArray());
    }

    @Override
    public List<byte[]> computePartials(String warrantId, List<PartialRequest> records, io.escrow.agent.PageEvidence page) {
        PartialsRequest.Builder b = PartialsRequest.newBuilder().setWarrantId(warrantId)
                .setCheckpoint(ByteString.copyFrom(page.checkpoint()))
                .setCheckpointSignature(ByteString.copyFrom(page.checkpointSignature()))
                .setCheckpointNote(ByteString.copyFrom(page.checkpointNote()))
                .setSubjectSalt(ByteString.copyFrom(page.subjectSalt()));
        for (PartialRequest r : records) {
            PartialRecord.Builder rb = PartialRecord.newBuilder().setRecordId(r.recordId()).setSubjectId(r.subjectId())
                    .setKeyId(r.keyId()).setCoversFrom(r.coversFrom()).setCoversUntil(r.coversUntil())
                    .setEnc(ByteString.copyFrom(r.enc()));
            var e = r.evidence();
            if (e != null) {
                rb.setCiphertext(ByteString.copyFrom(e.ciphertext())).setDepositIndex(e.depositIndex())
                        .setDepositLeaf(ByteString.copyFrom(e.depositLeaf())).setReleaseIndex(e.releaseIndex())
                        .setReleaseLeaf(ByteString.copyFrom(e.releaseLeaf()));
                e.depositProof().forEach(h -> rb.addDepositProof(ByteString.copyFrom(h)));
                e.releaseProof().forEach(h -> rb.addReleaseProof(ByteString.copyFrom(h)));
            }
            b.addRecords(rb);
        }
        List<ByteString> xs = call("partials", s -> s.computePartials(b.build())).getXList();
        if (xs.size() != records.size()) {
            errors.increment();
            throw new AgentCallException(custodianId, EscrowException.Category.UNAVAILABLE, "answered " + xs.size()
                    + " partials for " + records.size() + " records");
        }
        return xs.stream().map(ByteString::toByteArray).toList();
    }

    @Override
    public io.escrow.retirement.ShareStatus consentRetirement(byte[] keyRecordJson, byte[] statement, byte[] signature) {
        return retirement("retire-consent", s -> s.consentRetirement(io.escrow.proto.v1.AgentRetirementConsentRequest.newBuilder()
                .setKeyRecord(ByteString.copyFrom(keyRecordJson)).setStatement(ByteString.copyFrom(statement))
                .setSignature(ByteString.copyFrom(signature)).build()));
    }

    @Override
    public io.escrow.retirement.ShareStatus retirement(String keyId) {
        return retirement("retirement", s -> s.getRetirement(io.escrow.proto.v1.AgentGetRetirementRequest.newBuilder()
                .setKeyId(keyId).build()));
    }

    @Override
    public io.escrow.retirement.ShareStatus destroyShare(String keyId) {
        return retirement("destroy-share", s -> s.destroyShare(io.escrow.proto.v1.AgentDestroyShareRequest.newBuilder()
                .setKeyId(keyId).build()));
    }

    @Override
    public io.escrow.ceremony.CeremonyStatus consentCeremony(byte[] statement, byte[] signature) {
        return ceremony("ceremony-consent", s -> s.consentCeremony(io.escrow.proto.v1.AgentCeremonyConsentRequest.newBuilder()
                .setStatement(ByteString.copyFrom(statement)).setSignature(ByteString.copyFrom(signature)).build()));
    }

    @Override
    public io.escrow.ceremony.CeremonyStatus ceremony(String keyId) {
        return ceremony("ceremony", s -> s.getCeremony(io.escrow.proto.v1.AgentGetCeremonyRequest.newBuilder().setKeyId(keyId).build()));
    }

    @Override
    public io.escrow.agent.KeyAttestor.Attestation receiveShare(byte[] keyRecordJson, byte[] enc, byte[] ciphertext) {
        return attestation(call("receive-share", s -> s.receiveShare(io.escrow.proto.v1.AgentReceiveShareRequest.newBuilder()
                .setKeyRecord(ByteString.copyFrom(keyRecordJson)).setEnc(ByteString.copyFrom(enc))
                .setCiphertext(ByteString.copyFrom(ciphertext)).build())));
    }

    /** A ceremony call whose answer must come from this custodian's agent. */
    private io.escrow.ceremony.CeremonyStatus ceremony(String name,
                                                      Function<CustodianAgentGrpc.CustodianAgentBlockingStub, io.escrow.proto.v1.AgentCeremony> rpc) {
        io.escrow.proto.v1.AgentCeremony r = call(name, rpc);
        if (!r.getCustodianId().equals(custodianId)) {
            errors.increment();
            throw new AgentCallException(custodianId, EscrowException.Category.UNAVAILABLE, "answered as " + r.getCustodianId());
        }
        return CeremonyMessages.fromProto(r);
    }

    /** A retirement call whose answer must come from this custodian's agent. */
    private io.escrow.retirement.ShareStatus retirement(String name,
                                                       Function<CustodianAgentGrpc.CustodianAgentBlockingStub, io.escrow.proto.v1.AgentRetirement> rpc) {
        io.escrow.proto.v1.AgentRetirement r = call(name, rpc);
        if (!r.getCustodianId().equals(custodianId)) {
            errors.increment();
            throw new AgentCallException(custodianId, EscrowException.Category.UNAVAILABLE, "answered as " + r.getCustodianId());
        }
        return RetirementMessages.fromProto(r);
    }

    private static AgentConsent fromProto(AgentActivation a) {
        AgentConsent.State state = a.getState() == AgentActivation.State.STATE_UNSPECIFIED || a.getState() == AgentActivation.State.UNRECOGNIZED
                ? AgentConsent.State.DEACTIVATED : AgentConsent.State.valueOf(a.getState().name());
        return new AgentConsent(a.getCustodianId(), a.getWarrantId(), state, ProtoTime.instant(a.getExpiresAt()),
                a.getUsesLeft(), a.getRecordsOpened());
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }

    @Override
    public String toString() {
        return "GrpcAgentLink[" + custodianId + " at " + target + "]";
    }
}
