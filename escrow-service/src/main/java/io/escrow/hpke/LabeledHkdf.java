package io.escrow.hpke;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF-SHA256 (RFC 5869) with RFC 9180's LabeledExtract and LabeledExpand. Uses the JDK's
 * HmacSHA256 (SHA-256 intrinsics) with one Mac per thread: threshold trial decryption runs
 * several key schedules per record.
 */
final class LabeledHkdf {
    private static final byte[] VERSION = "HPKE-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ZERO_SALT = new byte[HpkeSuite.NH];
    private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    });

    private LabeledHkdf() {}

    static byte[] labeledExtract(byte[] suiteId, byte[] salt, String label, byte[] ikm) {
        return extract(salt, HpkeSuite.concat(VERSION, suiteId, ascii(label), ikm));
    }

    static byte[] labeledExpand(byte[] suiteId, byte[] prk, String label, byte[] info, int length) {
        byte[] labeledInfo = HpkeSuite.concat(HpkeSuite.i2osp(length, 2), VERSION, suiteId, ascii(label), info);
        return expand(prk, labeledInfo, length);
    }

    static byte[] extract(byte[] salt, byte[] ikm) {
        Mac mac = keyed(salt.length == 0 ? ZERO_SALT : salt);
        return mac.doFinal(ikm);
    }

    private static Mac keyed(byte[] key) {
        Mac mac = MAC.get();
        try {
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot key HmacSHA256", e);
        }
        return mac;
    }

    static byte[] expand(byte[] prk, byte[] info, int length) {
        if (length > 255 * HpkeSuite.NH) {
            throw new IllegalArgumentException("HKDF-Expand length too large");
        }
        Mac mac = keyed(prk);
        byte[] out = new byte[length];
        byte[] t = new byte[0];
        int off = 0;
        for (int counter = 1; off < length; counter++) {
            mac.update(t);
            mac.update(info);
            mac.update((byte) counter);
            t = mac.doFinal();
            int n = Math.min(t.length, length - off);
            System.arraycopy(t, 0, out, off, n);
            off += n;
        }
        java.util.Arrays.fill(t, (byte) 0);
        return out;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
