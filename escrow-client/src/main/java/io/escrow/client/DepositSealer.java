package io.escrow.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;

/**
 * Contract section 1 deposit sealing: HPKE (RFC 9180) base mode, DHKEM(P-256, HKDF-SHA256),
 * HKDF-SHA256, AES-256-GCM, to the escrow public key, with
 * {@code info = "escrow/v1/deposit/" + key_id} and
 * {@code aad = subject_id + "\n" + covers_from + "\n" + covers_until} (Unix seconds in decimal).
 * Every precondition is checked before anything is sealed.
 */
public final class DepositSealer {
    /** The suite's identifiers, as GetEscrowKey reports them. */
    public static final int KEM_ID = 0x0010;
    public static final int KDF_ID = 0x0001;
    public static final int AEAD_ID = 0x0002;
    public static final int MAX_SESSION_KEY = 1024;

    private DepositSealer() {}

    /** {@code enc} (65 bytes) and the AEAD output. */
    public record Sealed(byte[] enc, byte[] ciphertext) {
        public Sealed {
            enc = enc.clone();
            ciphertext = ciphertext.clone();
        }

        @Override
        public byte[] enc() {
            return enc.clone();
        }

        @Override
        public byte[] ciphertext() {
            return ciphertext.clone();
        }
    }

    /**
     * Seals {@code sessionKey} for {@code subjectId} over [coversFrom, coversUntil] (Unix seconds)
     * to the escrow key {@code keyId} whose SEC1 uncompressed public key is {@code publicKey}. The
     * caller's {@code sessionKey} is not changed; callers wipe it themselves once it is sealed.
     */
    public static Sealed seal(String keyId, byte[] publicKey, String subjectId, long coversFrom, long coversUntil, byte[] sessionKey) {
        requireText("key_id", keyId);
        requireText("subject_id", subjectId);
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(sessionKey, "sessionKey");
        if (publicKey.length != 65 || publicKey[0] != 0x04) {
            throw new IllegalArgumentException("the escrow public key must be a 65-byte SEC1 uncompressed P-256 point");
        }
        if (sessionKey.length < 1 || sessionKey.length > MAX_SESSION_KEY) {
            throw new IllegalArgumentException("the session key must be 1 to " + MAX_SESSION_KEY + " bytes, got " + sessionKey.length);
        }
        if (coversFrom < 0 || coversUntil < coversFrom) {
            throw new IllegalArgumentException("covers_from must be at least 0 and not after covers_until (" + coversFrom + ", "
                    + coversUntil + ")");
        }
        HPKE hpke = new HPKE(HPKE.mode_base, HPKE.kem_P256_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);
        AsymmetricKeyParameter recipient;
        try {
            recipient = hpke.deserializePublicKey(publicKey);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the escrow public key is not a point on P-256: " + e.getMessage(), e);
        }
        HPKEContextWithEncapsulation ctx = hpke.setupBaseS(recipient, info(keyId));
        try {
            return new Sealed(ctx.getEncapsulation(), ctx.seal(aad(subjectId, coversFrom, coversUntil), sessionKey));
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("AES-GCM refused to seal: " + e.getMessage(), e);
        }
    }

    static byte[] info(String keyId) {
        return ("escrow/v1/deposit/" + keyId).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] aad(String subjectId, long coversFrom, long coversUntil) {
        return (subjectId + "\n" + coversFrom + "\n" + coversUntil).getBytes(StandardCharsets.UTF_8);
    }

    /** Zeroes {@code secret}; for the session keys the client copies. */
    static void wipe(byte[] secret) {
        Arrays.fill(secret, (byte) 0);
    }

    private static void requireText(String name, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
    }
}
