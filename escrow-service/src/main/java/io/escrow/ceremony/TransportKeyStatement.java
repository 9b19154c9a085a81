package io.escrow.ceremony;

import io.escrow.consent.ConsentStatement;
import io.escrow.error.InvalidArgumentException;
import io.escrow.retirement.StatementLines;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.util.encoders.Hex;

/**
 * A custodian agent's signed word (with its attestation key) that it holds the private half of
 * this P-256 key, for one ceremony under one consent. The ceremony seals that custodian's share to
 * it, and to nothing else, so the share is readable only inside that agent, whatever carries it:
 *
 * <pre>
 * escrow/v1/ceremony-transport-key
 * custodian_id=custodian-1
 * key_id=ek-2027-01
 * consent_sha256=...       (lowercase hex of SHA-256 over the custodian's escrow/v1/key-ceremony statement)
 * public_key=04...         (SEC1 uncompressed, lowercase hex)
 * </pre>
 */
public record TransportKeyStatement(String custodianId, String keyId, byte[] consentSha256, byte[] publicKey) {
    public static final String HEADER = "escrow/v1/ceremony-transport-key";
    private static final String FIELD = "transport_statement";
    private static final List<String> NAMES = List.of("custodian_id", "key_id", "consent_sha256", "public_key");

    public TransportKeyStatement {
        StatementLines.id(FIELD, "custodian_id", custodianId);
        StatementLines.id(FIELD, "key_id", keyId);
        if (consentSha256 == null || consentSha256.length != 32) {
            throw new InvalidArgumentException(FIELD + ".consent_sha256", "must be 32 bytes");
        }
        if (publicKey == null || publicKey.length != 65 || publicKey[0] != 0x04) {
            throw new InvalidArgumentException(FIELD + ".public_key", "must be a 65-byte SEC1 uncompressed point");
        }
        consentSha256 = consentSha256.clone();
        publicKey = publicKey.clone();
    }

    /** The statement for a transport key under {@code consent} (its encoded bytes). */
    public static TransportKeyStatement of(CeremonyStatement consent, byte[] publicKey) {
        return new TransportKeyStatement(consent.custodianId(), consent.keyId(), ConsentStatement.sha256(consent.encode()), publicKey);
    }

    public byte[] encode() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("custodian_id", custodianId);
        v.put("key_id", keyId);
        v.put("consent_sha256", Hex.toHexString(consentSha256));
        v.put("public_key", Hex.toHexString(publicKey));
        return StatementLines.encode(HEADER, v);
    }

    public static TransportKeyStatement decode(byte[] bytes) {
        Map<String, String> v = StatementLines.decode(FIELD, HEADER, NAMES, bytes);
        return new TransportKeyStatement(v.get("custodian_id"), v.get("key_id"),
                StatementLines.hex(FIELD, "consent_sha256", v.get("consent_sha256"), 32),
                StatementLines.hex(FIELD, "public_key", v.get("public_key"), 65));
    }

    /** Whether this transport key was made under exactly {@code consent}. */
    public boolean isUnder(CeremonyStatement consent) {
        return custodianId.equals(consent.custodianId()) && keyId.equals(consent.keyId())
                && Arrays.equals(consentSha256, ConsentStatement.sha256(consent.encode()));
    }

    @Override
    public byte[] consentSha256() {
        return consentSha256.clone();
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TransportKeyStatement t && Arrays.equals(encode(), t.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "TransportKeyStatement[" + custodianId + ", " + keyId + "]";
    }
}
