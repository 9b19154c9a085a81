package io.escrow.agent;

import io.escrow.cms.CmsSigner;
import io.escrow.consent.ConsentStatement;
import io.escrow.error.InvalidArgumentException;
import io.escrow.keys.KeyRecordJson;
import io.escrow.threshold.CustodianShare;
import io.escrow.threshold.KeyRecord;
import io.escrow.threshold.P256;
import io.escrow.threshold.ShareToken;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.util.encoders.Hex;

/**
 * A custodian agent's attestation of an escrow key: after re-validating the key record (public
 * key, Feldman commitments, every public share) and checking that its own token answers
 * x(share·G) equal to its recorded public share, the agent signs a statement of it. A key the
 * operator made from a polynomial of its own gets no attestation from any agent, so providers
 * that require t attestations never seal to it. UTF-8 lines, each ending in LF:
 *
 * <pre>
 * escrow/v1/key-attestation
 * custodian_id=custodian-1
 * key_id=ek-2026-01
 * public_key=04...              (SEC1 uncompressed, lowercase hex)
 * threshold=2
 * custodians=3
 * share_index=1
 * public_share=04...
 * key_record_sha256=...         (SHA-256 of the key record JSON, which binds the commitments)
 * </pre>
 */
public final class KeyAttestor {
    public static final String HEADER = "escrow/v1/key-attestation";

    /** The custodian's attestation key and its certificate chain (leaf first). */
    public record Signer(PrivateKey key, List<X509Certificate> chain) {
        public Signer {
            chain = List.copyOf(chain);
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("the attestation signer needs its certificate");
            }
        }

        @Override
        public String toString() {
            return "Signer[" + chain.get(0).getSubjectX500Principal().getName() + ", key=redacted]";
        }
    }

    /** A signed attestation. */
    public record Attestation(String custodianId, byte[] statement, byte[] cms) {}

    private KeyAttestor() {}

    public static Attestation attest(String custodianId, ShareToken token, Signer signer, byte[] keyRecordJson) {
        KeyRecord key;
        try {
            key = KeyRecordJson.read(keyRecordJson);
        } catch (java.io.IOException | RuntimeException e) {
            throw new InvalidArgumentException("key_record", "is not a valid key record: " + e.getMessage());
        }
        CustodianShare share = key.shareOf(custodianId).orElseThrow(() -> new AgentRefusedException("key " + key.keyId()
                + " has no share of " + custodianId));
        byte[] x;
        try {
            x = token.deriveX(key.keyId(), P256.G);
        } catch (RuntimeException e) {
            throw new AgentRefusedException("this agent's token holds no share of key " + key.keyId() + ": " + e.getMessage());
        }
        if (!Arrays.equals(x, P256.xBytes(share.publicShare()))) {
            throw new AgentRefusedException("this agent's token holds another share of key " + key.keyId()
                    + " than the key record names for " + custodianId);
        }
        byte[] statement = statement(custodianId, key, share, ConsentStatement.sha256(keyRecordJson));
        return new Attestation(custodianId, statement, CmsSigner.signDetached(statement, signer.key(), null, signer.chain()));
    }

    public static byte[] statement(String custodianId, KeyRecord key, CustodianShare share, byte[] recordSha256) {
        String text = HEADER + "\n"
                + "custodian_id=" + custodianId + "\n"
                + "key_id=" + key.keyId() + "\n"
                + "public_key=" + Hex.toHexString(key.publicKeyBytes()) + "\n"
                + "threshold=" + key.threshold() + "\n"
                + "custodians=" + key.parameters().custodians() + "\n"
                + "share_index=" + share.index() + "\n"
                + "public_share=" + Hex.toHexString(P256.encodeUncompressed(share.publicShare())) + "\n"
                + "key_record_sha256=" + Hex.toHexString(recordSha256) + "\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
