package io.escrow.transport;

import io.escrow.config.EscrowSettings;
import io.escrow.consent.ActivationRegistry;
import io.escrow.consent.ActivationRejectedException;
import io.escrow.error.EscrowException;
import io.escrow.proto.v1.ActivateShareRequest;
import io.escrow.proto.v1.Activation;
import io.escrow.proto.v1.CustodianServiceGrpc;
import io.escrow.proto.v1.DeactivateShareRequest;
import io.escrow.proto.v1.ListActivationsRequest;
import io.escrow.proto.v1.ListActivationsResponse;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * CustodianService: custodians activate their share for one warrant, with their token's PIN as
 * the credential. The credential is decoded into a char array that the registry wipes after
 * logging in; it is never logged, stored or audited.
 */
@GrpcService
public class CustodianGrpcService extends CustodianServiceGrpc.CustodianServiceImplBase {
    @Inject
    EscrowSettings settings;

    @Inject
    jakarta.inject.Provider<ActivationRegistry> activations;

    @Inject
    jakarta.inject.Provider<io.escrow.app.CustodianAgents> agents;

    /** The agents, when custodians are agent-backed: then they, not this service, hold every consent. */
    private java.util.Optional<io.escrow.consent.AgentConsents> agentBacked() {
        return agents.get().consents();
    }

    @Override
    public ServerServiceDefinition bindService() {
        return MalformedRequests.wrap(super.bindService());
    }

    private ActivationRegistry registry() {
        if (settings.consent() != EscrowSettings.Consent.REQUIRED) {
            throw new ActivationRejectedException(EscrowException.Category.FAILED_PRECONDITION,
                    "custodian consent is not enabled (escrow.custodian.consent=standing-pins, development only)");
        }
        return activations.get();
    }

    @Inject
    jakarta.inject.Provider<java.util.Optional<io.escrow.retirement.KeyRetirement>> retirement;

    /** A custodian's consent to retire a key, forwarded to its own agent, which checks and keeps it. */
    @Override
    @Blocking
    public void consentKeyRetirement(io.escrow.proto.v1.ConsentKeyRetirementRequest request,
                                     StreamObserver<io.escrow.proto.v1.KeyRetirementConsent> response) {
        MalformedRequests.reject(request);
        CallerIdentity caller = CallerIdentity.current();
        var status = retirement.get().orElseThrow(io.escrow.retirement.KeyRetirement::withoutAgents).consent(caller.name(),
                caller == CallerIdentity.DEVELOPMENT, request.getCustodianId(), request.getKeyId(), request.getStatement().toByteArray(),
                request.getCmsSignature().toByteArray());
        var b = io.escrow.proto.v1.KeyRetirementConsent.newBuilder().setCustodianId(status.custodianId()).setKeyId(status.keyId())
                .setDestroyed(status.destroyed().isPresent());
        status.consentedAt().ifPresent(t -> b.setConsentedAt(ProtoTime.of(t)));
        response.onNext(b.build());
        response.onCompleted();
    }

    @Inject
    jakarta.inject.Provider<java.util.Optional<io.escrow.ceremony.AgentKeyCeremony>> ceremony;

    /** A custodian's consent to take its share of a new key, forwarded to its own agent, which checks and keeps it. */
    @Override
    @Blocking
    public void consentKeyCeremony(io.escrow.proto.v1.ConsentKeyCeremonyRequest request,
                                   StreamObserver<io.escrow.proto.v1.KeyCeremonyConsent> response) {
        MalformedRequests.reject(request);
        CallerIdentity caller = CallerIdentity.current();
        var status = ceremony.get().orElseThrow(io.escrow.ceremony.AgentKeyCeremony::withoutAgents).consent(caller.name(),
                caller == CallerIdentity.DEVELOPMENT, request.getCustodianId(), request.getKeyId(), request.getStatement().toByteArray(),
                request.getCmsSignature().toByteArray());
        var b = io.escrow.proto.v1.KeyCeremonyConsent.newBuilder().setCustodianId(status.custodianId()).setKeyId(status.keyId())
                .setShareReceived(status.shareReceived());
        status.consent().ifPresent(c -> b.setConsentedAt(ProtoTime.of(c.at())));
        response.onNext(b.build());
        response.onCompleted();
    }

    @Override
    @Blocking
    public void activateShare(ActivateShareRequest request, StreamObserver<Activation> response) {
        MalformedRequests.reject(request);
        CallerIdentity caller = CallerIdentity.current();
        var viaAgents = agentBacked();
        if (viaAgents.isPresent()) {
            // The credential is never decoded here: a non-empty one is refused by its length alone.
            response.onNext(toProto(viaAgents.get().activate(caller.name(), caller == CallerIdentity.DEVELOPMENT,
                    new io.escrow.consent.AgentConsents.Request(request.getCustodianId(), request.getWarrantId(),
                            request.getConsentStatement().toByteArray(), request.getCmsSignature().toByteArray(),
                            request.getCredential().size(), Integer.toUnsignedLong(request.getMaxUses())))));
            response.onCompleted();
            return;
        }
        ByteBuffer raw = request.getCredential().asReadOnlyByteBuffer();
        CharBuffer chars = StandardCharsets.UTF_8.decode(raw);
        char[] credential = new char[chars.remaining()];
        chars.get(credential);
        Arrays.fill(chars.array(), '\0');
        Duration ttl;
        try {
            ttl = request.hasTtl() ? ProtoTime.duration("ttl", request.getTtl()) : null;
        } catch (io.escrow.error.InvalidArgumentException e) {
            Arrays.fill(credential, '\0');
            throw registry().refuse(caller.name(), request.getCustodianId(), request.getWarrantId(), e);
        }
        var a = registry().activate(caller.name(), caller == CallerIdentity.DEVELOPMENT, new ActivationRegistry.Request(
                request.getCustodianId(), request.getWarrantId(), request.getCmsSignature().toByteArray(), credential,
                Integer.toUnsignedLong(request.getMaxUses()), ttl));
        response.onNext(toProto(a));
        response.onCompleted();
    }

    @Override
    @Blocking
    public void deactivateShare(DeactivateShareRequest request, StreamObserver<Activation> response) {
        MalformedRequests.reject(request);
        CallerIdentity caller = CallerIdentity.current();
        boolean development = caller == CallerIdentity.DEVELOPMENT;
        var viaAgents = agentBacked();
        response.onNext(toProto(viaAgents.isPresent()
                ? viaAgents.get().deactivate(caller.name(), development, request.getCustodianId(), request.getWarrantId())
                : registry().deactivate(caller.name(), development, request.getCustodianId(), request.getWarrantId())));
        response.onCompleted();
    }

    @Override
    @Blocking
    public void listActivations(ListActivationsRequest request, StreamObserver<ListActivationsResponse> response) {
        MalformedRequests.reject(request);
        ListActivationsResponse.Builder b = ListActivationsResponse.newBuilder();
        var viaAgents = agentBacked();
        (viaAgents.isPresent() ? viaAgents.get().list(request.getWarrantId()) : registry().list(request.getWarrantId()))
                .forEach(a -> b.addActivations(toProto(a)));
        response.onNext(b.build());
        response.onCompleted();
    }

    private static Activation toProto(io.escrow.consent.Activation a) {
        return Activation.newBuilder().setCustodianId(a.custodianId()).setWarrantId(a.warrantId())
                .setState(Activation.ActivationState.valueOf(a.state().name()))
                .setExpiresAt(ProtoTime.of(a.expiresAt()))
                .setUsesLeft(a.usesLeft()).build();
    }
}
