package io.escrow.retirement;

import io.escrow.error.InvalidArgumentException;
import io.escrow.threshold.KeyRecord;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.util.encoders.Hex;

/**
 * What a custodian signs to consent to the retirement of one escrow key: after it, the
 * custodian's agent destroys its share of that key, and once enough shares are gone nothing
 * sealed to the key can ever be opened. A statement of its own (never a warrant's bytes or a
 * consent's), naming the custodian, so that no signature counts as another's consent:
 *
 * <pre>
 * escrow/v1/key-retirement
 * custodian_id=custodian-1
 * key_id=ek-2026-01
 * public_key=04...            (SEC1 uncompressed, lowercase hex: the key GetEscrowKey served)
 * </pre>
 *
 * It carries no time and no nonce: retiring a key is done once and for ever, so a replayed
 * consent can only ask for what was already agreed.
 */
public record RetirementStatement(String custodianId, String keyId, byte[] publicKey) {
    public static final String HEADER = "escrow/v1/key-retirement";
    private static final String FIELD = "statement";
    private static final List<String> NAMES = List.of("custodian_id", "key_id", "public_key");

    public RetirementStatement {
        StatementLines.id(FIELD, "custodian_id", custodianId);
        StatementLines.id(FIELD, "key_id", keyId);
        if (publicKey == null || publicKey.length != 65 || publicKey[0] != 0x04) {
            throw new InvalidArgumentException(FIELD + ".public_key", "must be a 65-byte SEC1 uncompressed point");
        }
        publicKey = publicKey.clone();
    }

    /** The statement a custodian of {@code key} signs. */
    public static RetirementStatement of(String custodianId, KeyRecord key) {
        return new RetirementStatement(custodianId, key.keyId(), key.publicKeyBytes());
    }

    public byte[] encode() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("custodian_id", custodianId);
        v.put("key_id", keyId);
        v.put("public_key", Hex.toHexString(publicKey));
        return StatementLines.encode(HEADER, v);
    }

    /** Reads a statement in its one canonical encoding. */
    public static RetirementStatement decode(byte[] bytes) {
        Map<String, String> v = StatementLines.decode(FIELD, HEADER, NAMES, bytes);
        return new RetirementStatement(v.get("custodian_id"), v.get("key_id"),
                StatementLines.hex(FIELD, "public_key", v.get("public_key"), 65));
    }

    /** Whether this statement names {@code key} as it is recorded: its id and its public key. */
    public boolean names(KeyRecord key) {
        return keyId.equals(key.keyId()) && Arrays.equals(publicKey, key.publicKeyBytes());
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RetirementStatement r && Arrays.equals(encode(), r.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "RetirementStatement[" + custodianId + " retires " + keyId + "]";
    }
}
