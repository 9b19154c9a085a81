package io.escrow.testing;

import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/** The JDK's own Ed25519, an implementation that is not ours, for checking our signatures and cosignatures. */
public final class JdkEd25519 {
    /** The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 key bytes. */
    private static final byte[] SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    private JdkEd25519() {}

    /** Whether {@code signature} is a valid Ed25519 signature of {@code message} under the raw 32-byte key. */
    public static boolean verify(byte[] rawPublicKey, byte[] message, byte[] signature) throws Exception {
        byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + 32);
        System.arraycopy(rawPublicKey, 0, spki, SPKI_PREFIX.length, 32);
        Signature v = Signature.getInstance("Ed25519");
        v.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
        v.update(message);
        return v.verify(signature);
    }

    /** The raw 32-byte key of a JDK Ed25519 public key. */
    public static byte[] raw(java.security.PublicKey key) {
        byte[] spki = key.getEncoded();
        if (spki.length != 44 || !Arrays.equals(Arrays.copyOf(spki, 12), SPKI_PREFIX)) {
            throw new IllegalArgumentException("not an Ed25519 SubjectPublicKeyInfo");
        }
        return Arrays.copyOfRange(spki, 12, 44);
    }
}
