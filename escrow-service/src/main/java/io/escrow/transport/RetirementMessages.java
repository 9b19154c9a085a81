package io.escrow.transport;

import com.google.protobuf.ByteString;
import io.escrow.proto.v1.AgentRetirement;
import io.escrow.retirement.ShareStatus;
import java.util.Optional;

/** ShareStatus to and from the agent's AgentRetirement message, for both ends of the agent link. */
final class RetirementMessages {
    private RetirementMessages() {}

    static AgentRetirement toProto(ShareStatus s) {
        AgentRetirement.Builder b = AgentRetirement.newBuilder().setCustodianId(s.custodianId()).setKeyId(s.keyId());
        s.consentedAt().ifPresent(t -> b.setConsentedAt(ProtoTime.of(t)));
        s.destroyed().ifPresent(d -> b.setDestroyedStatement(ByteString.copyFrom(d.statement()))
                .setDestroyedSignature(ByteString.copyFrom(d.cms())));
        return b.build();
    }

    static ShareStatus fromProto(AgentRetirement r) {
        Optional<ShareStatus.Destruction> destroyed = r.getDestroyedStatement().isEmpty() ? Optional.empty()
                : Optional.of(new ShareStatus.Destruction(r.getDestroyedStatement().toByteArray(), r.getDestroyedSignature().toByteArray()));
        return new ShareStatus(r.getCustodianId(), r.getKeyId(),
                r.hasConsentedAt() ? Optional.of(ProtoTime.instant(r.getConsentedAt())) : Optional.empty(), destroyed);
    }
}
