package io.escrow.transport;

import com.google.protobuf.ByteString;
import io.escrow.ceremony.CeremonyStatus;
import io.escrow.proto.v1.AgentCeremony;
import java.util.Optional;

/** CeremonyStatus to and from the agent's AgentCeremony message, for both ends of the agent link. */
final class CeremonyMessages {
    private CeremonyMessages() {}

    static AgentCeremony toProto(CeremonyStatus s) {
        AgentCeremony.Builder b = AgentCeremony.newBuilder().setCustodianId(s.custodianId()).setKeyId(s.keyId())
                .setShareReceived(s.shareReceived());
        s.consent().ifPresent(c -> b.setConsentedAt(ProtoTime.of(c.at())).setConsentStatement(ByteString.copyFrom(c.statement())));
        s.transportKey().ifPresent(t -> b.setTransportStatement(ByteString.copyFrom(t.statement()))
                .setTransportSignature(ByteString.copyFrom(t.cms())));
        return b.build();
    }

    static CeremonyStatus fromProto(AgentCeremony c) {
        Optional<CeremonyStatus.Consent> consent = c.hasConsentedAt()
                ? Optional.of(new CeremonyStatus.Consent(ProtoTime.instant(c.getConsentedAt()), c.getConsentStatement().toByteArray()))
                : Optional.empty();
        Optional<CeremonyStatus.SignedStatement> transport = c.getTransportStatement().isEmpty() ? Optional.empty()
                : Optional.of(new CeremonyStatus.SignedStatement(c.getTransportStatement().toByteArray(),
                        c.getTransportSignature().toByteArray()));
        return new CeremonyStatus(c.getCustodianId(), c.getKeyId(), consent, transport, c.getShareReceived());
    }
}
