package io.escrow.consent;

import io.escrow.agent.PartialRequest;
import io.escrow.threshold.CustodianFailureException;
import io.escrow.threshold.P256;
import io.escrow.threshold.SecretScalar;
import io.escrow.threshold.ShareToken;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.bouncycastle.math.ec.ECPoint;

/**
 * One custodian's share as the threshold decryptor sees it during a recovery page: the agent was
 * asked for the whole page's partials at once ({@link #prepare}), and each ECDH is answered from
 * that batch. An agent's refusal or absence is this custodian's failure, named, for every record
 * of the page.
 */
public final class AgentShareToken implements ShareToken {
    private final AgentLink agent;
    private final Map<String, byte[]> partials = new HashMap<>();
    private volatile RuntimeException failure;

    public AgentShareToken(AgentLink agent) {
        this.agent = agent;
    }

    /** Asks the agent for every record's partial, remembering them by enc (or the refusal). */
    public void prepare(String warrantId, List<PartialRequest> records, io.escrow.agent.PageEvidence page) {
        try {
            List<byte[]> xs = agent.computePartials(warrantId, records, page);
            synchronized (partials) {
                for (int i = 0; i < records.size(); i++) {
                    partials.put(HexFormat.of().formatHex(records.get(i).enc()), xs.get(i));
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    @Override
    public String custodianId() {
        return agent.custodianId();
    }

    @Override
    public boolean hasShare(String keyId) {
        return true;
    }

    @Override
    public byte[] deriveX(String keyId, ECPoint point) {
        if (failure != null) {
            throw new CustodianFailureException(custodianId(), failure.getMessage());
        }
        byte[] x;
        synchronized (partials) {
            x = partials.get(HexFormat.of().formatHex(P256.encodeUncompressed(point)));
        }
        if (x == null) {
            throw new CustodianFailureException(custodianId(), "its agent was not asked for this record");
        }
        return x.clone();
    }

    @Override
    public void importShare(String keyId, SecretScalar share, ECPoint publicShare) {
        throw new UnsupportedOperationException("shares are imported into an agent's token at its ceremony, not through the service");
    }

    @Override
    public void deleteShare(String keyId) {
        throw new UnsupportedOperationException("an agent's shares are managed beside its token");
    }
}
