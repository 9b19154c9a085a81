package io.escrow.consent;

import io.escrow.agent.AgentConsent;
import io.escrow.agent.PartialRequest;
import java.util.List;
import java.util.SortedMap;

/**
 * How the service reaches one custodian's agent. Every answer is the agent's own: the service
 * forwards evidence and requests, and the agent decides. Failures arrive as
 * {@link AgentCallException}, naming the custodian.
 */
public interface AgentLink extends AutoCloseable {
    String custodianId();

    /** Where the agent is, for messages. */
    String target();

    /** The custodian the agent says it serves (its Describe answer). */
    String describe();

    AgentConsent activate(String warrantId, byte[] signedBytes, SortedMap<String, byte[]> approvals, byte[] statement,
                          byte[] statementSignature);

    AgentConsent deactivate(String warrantId);

    /** The agent's consents for {@code warrantId}; every one it holds when empty. */
    List<AgentConsent> list(String warrantId);

    /** Forwards an authority's revocation, which the agent checks itself. */
    List<AgentConsent> revoke(String warrantId, byte[] cms);

    /** The agent's signed attestation that its token holds its share of this key record (JSON). */
    io.escrow.agent.KeyAttestor.Attestation attestKey(byte[] keyRecordJson);

    /** x(share·enc) per record, in order, or a refusal for the whole page. */
    List<byte[]> computePartials(String warrantId, List<PartialRequest> records, io.escrow.agent.PageEvidence page);

    /** Gives the agent its custodian's signed consent to retire a key; the agent checks it against the key record. */
    io.escrow.retirement.ShareStatus consentRetirement(byte[] keyRecordJson, byte[] statement, byte[] signature);

    /** Whether the agent holds its custodian's consent to retire a key, and whether its share is destroyed. */
    io.escrow.retirement.ShareStatus retirement(String keyId);

    /** Asks the agent to destroy its share of a key its custodian consented to retire. */
    io.escrow.retirement.ShareStatus destroyShare(String keyId);

    /** Gives the agent its custodian's signed consent to take its share of a new key. */
    io.escrow.ceremony.CeremonyStatus consentCeremony(byte[] statement, byte[] signature);

    /** The agent's ceremony state for a key, with the transport key to seal the share to (made on the first ask). */
    io.escrow.ceremony.CeremonyStatus ceremony(String keyId);

    /** Hands the agent its share of a new key, sealed to its transport key; the agent imports it and attests it. */
    io.escrow.agent.KeyAttestor.Attestation receiveShare(byte[] keyRecordJson, byte[] enc, byte[] ciphertext);

    @Override
    void close();
}
