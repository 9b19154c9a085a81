package io.escrow.retirement;

import io.escrow.error.InvalidArgumentException;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.util.encoders.Hex;

/**
 * What a custodian agent signs, with its attestation key, after destroying its token's share of a
 * retired key and seeing that the token no longer lists it. It names the custodian's signed
 * retirement consent it acted on (by SHA-256), so an overseer can check that no share was
 * destroyed without its custodian's consent:
 *
 * <pre>
 * escrow/v1/share-destroyed
 * custodian_id=custodian-1
 * key_id=ek-2026-01
 * public_key=04...
 * retirement_sha256=...       (SHA-256 of the escrow/v1/key-retirement statement, lowercase hex)
 * destroyed_at=1767229200     (Unix seconds)
 * </pre>
 */
public record ShareDestroyedStatement(String custodianId, String keyId, byte[] publicKey, byte[] retirementSha256,
                                      long destroyedAt) {
    public static final String HEADER = "escrow/v1/share-destroyed";
    private static final String FIELD = "destroyed_statement";
    private static final List<String> NAMES = List.of("custodian_id", "key_id", "public_key", "retirement_sha256", "destroyed_at");

    public ShareDestroyedStatement {
        StatementLines.id(FIELD, "custodian_id", custodianId);
        StatementLines.id(FIELD, "key_id", keyId);
        if (publicKey == null || publicKey.length != 65 || publicKey[0] != 0x04) {
            throw new InvalidArgumentException(FIELD + ".public_key", "must be a 65-byte SEC1 uncompressed point");
        }
        if (retirementSha256 == null || retirementSha256.length != 32) {
            throw new InvalidArgumentException(FIELD + ".retirement_sha256", "must be 32 bytes");
        }
        if (destroyedAt <= 0) {
            throw new InvalidArgumentException(FIELD + ".destroyed_at", "must be positive Unix seconds");
        }
        publicKey = publicKey.clone();
        retirementSha256 = retirementSha256.clone();
    }

    /** The statement for a share destroyed now, on the strength of {@code consent}. */
    public static ShareDestroyedStatement of(RetirementStatement consent, byte[] consentBytes, Instant now) {
        return new ShareDestroyedStatement(consent.custodianId(), consent.keyId(), consent.publicKey(),
                io.escrow.consent.ConsentStatement.sha256(consentBytes), now.getEpochSecond());
    }

    public byte[] encode() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("custodian_id", custodianId);
        v.put("key_id", keyId);
        v.put("public_key", Hex.toHexString(publicKey));
        v.put("retirement_sha256", Hex.toHexString(retirementSha256));
        v.put("destroyed_at", Long.toString(destroyedAt));
        return StatementLines.encode(HEADER, v);
    }

    public static ShareDestroyedStatement decode(byte[] bytes) {
        Map<String, String> v = StatementLines.decode(FIELD, HEADER, NAMES, bytes);
        return new ShareDestroyedStatement(v.get("custodian_id"), v.get("key_id"),
                StatementLines.hex(FIELD, "public_key", v.get("public_key"), 65),
                StatementLines.hex(FIELD, "retirement_sha256", v.get("retirement_sha256"), 32),
                StatementLines.seconds(FIELD, "destroyed_at", v.get("destroyed_at")));
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public byte[] retirementSha256() {
        return retirementSha256.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ShareDestroyedStatement s && Arrays.equals(encode(), s.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "ShareDestroyedStatement[" + custodianId + " destroyed its share of " + keyId + "]";
    }
}
