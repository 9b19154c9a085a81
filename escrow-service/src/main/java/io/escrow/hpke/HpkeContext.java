package io.escrow.hpke;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.Destroyable;

/**
 * An RFC 9180 encryption context (base mode): key, base nonce and sequence number. The sequence
 * number advances after each seal or successful open, as RFC 9180 §5.2 requires.
 */
public final class HpkeContext implements Destroyable {
    /** Cipher.getInstance is a provider lookup; trial decryption would pay it per candidate. */
    private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
    });

    private final HpkeSuite suite;
    private final byte[] key;
    private final byte[] baseNonce;
    private final byte[] exporterSecret;
    private long seq;
    private boolean destroyed;

    HpkeContext(HpkeSuite suite, byte[] key, byte[] baseNonce, byte[] exporterSecret) {
        this.suite = suite;
        this.key = key;
        this.baseNonce = baseNonce;
        this.exporterSecret = exporterSecret;
    }

    public byte[] seal(byte[] aad, byte[] plaintext) {
        byte[] out = crypt(Cipher.ENCRYPT_MODE, aad, plaintext);
        seq++;
        return out;
    }

    /** Opens {@code ciphertext}; returns null when the tag does not verify. */
    public byte[] openOrNull(byte[] aad, byte[] ciphertext) {
        if (ciphertext.length < HpkeSuite.TAG_BYTES) {
            return null;
        }
        try {
            byte[] out = crypt(Cipher.DECRYPT_MODE, aad, ciphertext);
            seq++;
            return out;
        } catch (AeadFailure e) {
            return null;
        }
    }

    private byte[] crypt(int mode, byte[] aad, byte[] input) {
        if (destroyed) {
            throw new IllegalStateException("HPKE context was destroyed");
        }
        try {
            Cipher cipher = GCM.get();
            cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce()));
            cipher.updateAAD(aad);
            return cipher.doFinal(input);
        } catch (AEADBadTagException e) {
            throw new AeadFailure();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
    }

    byte[] nonce() {
        byte[] nonce = baseNonce.clone();
        byte[] s = HpkeSuite.i2osp(seq, HpkeSuite.NN);
        for (int i = 0; i < nonce.length; i++) {
            nonce[i] ^= s[i];
        }
        return nonce;
    }

    byte[] key() {
        return key.clone();
    }

    byte[] baseNonce() {
        return baseNonce.clone();
    }

    byte[] exporterSecret() {
        return exporterSecret.clone();
    }

    HpkeSuite suite() {
        return suite;
    }

    @Override
    public void destroy() {
        Arrays.fill(key, (byte) 0);
        Arrays.fill(baseNonce, (byte) 0);
        Arrays.fill(exporterSecret, (byte) 0);
        destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "HpkeContext[" + suite + ", redacted]";
    }

    /** Tag failure, carried without a stack trace: trial decryption expects many of these. */
    private static final class AeadFailure extends RuntimeException {
        AeadFailure() {
            super(null, null, false, false);
        }
    }
}
