package io.escrow.hpke;

import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/** HKDF-SHA256 (RFC 5869) with RFC 9180's LabeledExtract and LabeledExpand. */
final class LabeledHkdf {
    private static final byte[] VERSION = "HPKE-v1".getBytes(StandardCharsets.US_ASCII);

    private LabeledHkdf() {}

    static byte[] labeledExtract(byte[] suiteId, byte[] salt, String label, byte[] ikm) {
        return extract(salt, HpkeSuite.concat(VERSION, suiteId, ascii(label), ikm));
    }

    static byte[] labeledExpand(byte[] suiteId, byte[] prk, String label, byte[] info, int length) {
        byte[] labeledInfo = HpkeSuite.concat(HpkeSuite.i2osp(length, 2), VERSION, suiteId, ascii(label), info);
        return expand(prk, labeledInfo, length);
    }

    static byte[] extract(byte[] salt, byte[] ikm) {
        HMac mac = new HMac(new SHA256Digest());
        mac.init(new KeyParameter(salt.length == 0 ? new byte[HpkeSuite.NH] : salt));
        mac.update(ikm, 0, ikm.length);
        byte[] out = new byte[HpkeSuite.NH];
        mac.doFinal(out, 0);
        return out;
    }

    static byte[] expand(byte[] prk, byte[] info, int length) {
        if (length > 255 * HpkeSuite.NH) {
            throw new IllegalArgumentException("HKDF-Expand length too large");
        }
        HMac mac = new HMac(new SHA256Digest());
        mac.init(new KeyParameter(prk));
        byte[] out = new byte[length];
        byte[] t = new byte[0];
        int off = 0;
        for (int counter = 1; off < length; counter++) {
            mac.update(t, 0, t.length);
            mac.update(info, 0, info.length);
            mac.update((byte) counter);
            t = new byte[HpkeSuite.NH];
            mac.doFinal(t, 0);
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
