package io.escrow.ceremony;

import io.escrow.consent.ConsentStatement;
import io.escrow.error.InvalidArgumentException;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.threshold.P256;
import io.escrow.threshold.SecretScalar;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * How a ceremony's share travels to its custodian's agent: HPKE (the escrow suite) to the
 * agent's transport key, with the custodian and key_id in the info and the SHA-256 of the key
 * record as associated data, so a sealed share opens only at that agent, for that key record.
 * The plaintext is the share's 32-byte big-endian scalar.
 */
public final class CeremonyShares {
    private static final Hpke HPKE = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);

    private CeremonyShares() {}

    public static Hpke.Sealed seal(TransportKeyStatement to, byte[] keyRecordJson, SecretScalar share, SecureRandom rng) {
        byte[] plaintext = share.toBytes();
        try {
            return HPKE.seal(to.publicKey(), info(to.custodianId(), to.keyId()), ConsentStatement.sha256(keyRecordJson), plaintext, rng);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /** The share, or INVALID_ARGUMENT when it does not open with this key for this custodian, key and record. */
    public static SecretScalar open(Hpke.KeyPair transport, String custodianId, String keyId, byte[] keyRecordJson, byte[] enc,
                                    byte[] ciphertext) {
        byte[] plaintext = HPKE.openOrNull(transport, enc, info(custodianId, keyId), ConsentStatement.sha256(keyRecordJson), ciphertext);
        if (plaintext == null) {
            throw new InvalidArgumentException("sealed_share", "does not open with this agent's transport key for "
                    + custodianId + ", key " + keyId + " and this key record");
        }
        try {
            BigInteger s = new BigInteger(1, plaintext);
            if (plaintext.length != 32 || !P256.isNonZeroScalar(s)) {
                throw new InvalidArgumentException("sealed_share", "does not hold a P-256 scalar");
            }
            return SecretScalar.of(s);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    private static byte[] info(String custodianId, String keyId) {
        return ("escrow/v1/key-ceremony-share\n" + custodianId + "\n" + keyId).getBytes(StandardCharsets.UTF_8);
    }
}
