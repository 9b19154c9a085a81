package io.escrow.hpke;

import java.nio.charset.StandardCharsets;

/**
 * An HPKE ciphersuite with KEM DHKEM(P-256, HKDF-SHA256) and KDF HKDF-SHA256. The AEAD is a
 * parameter so that the RFC 9180 vectors (AES-128-GCM) exercise the same code as the contract's
 * suite (AES-256-GCM).
 */
public enum HpkeSuite {
    /** The contract's deposit and recovery suite: 0x0010 / 0x0001 / 0x0002. */
    P256_SHA256_AES256GCM(0x0002, 32),
    /** RFC 9180 Appendix A.3 vectors: 0x0010 / 0x0001 / 0x0001. */
    P256_SHA256_AES128GCM(0x0001, 16);

    public static final int KEM_ID = 0x0010;
    public static final int KDF_ID = 0x0001;
    public static final int NN = 12;
    public static final int NH = 32;
    public static final int TAG_BYTES = 16;

    private final int aeadId;
    private final int nk;
    private final byte[] kemSuiteId;
    private final byte[] hpkeSuiteId;

    HpkeSuite(int aeadId, int nk) {
        this.aeadId = aeadId;
        this.nk = nk;
        this.kemSuiteId = concat("KEM".getBytes(StandardCharsets.US_ASCII), i2osp(KEM_ID, 2));
        this.hpkeSuiteId = concat("HPKE".getBytes(StandardCharsets.US_ASCII),
                i2osp(KEM_ID, 2), i2osp(KDF_ID, 2), i2osp(aeadId, 2));
    }

    public int aeadId() {
        return aeadId;
    }

    /** AEAD key length in bytes. */
    public int nk() {
        return nk;
    }

    byte[] kemSuiteId() {
        return kemSuiteId;
    }

    byte[] hpkeSuiteId() {
        return hpkeSuiteId;
    }

    static byte[] i2osp(long value, int length) {
        byte[] out = new byte[length];
        for (int i = length - 1; i >= 0; i--) {
            out[i] = (byte) value;
            value >>>= 8;
        }
        return out;
    }

    static byte[] concat(byte[]... parts) {
        int len = 0;
        for (byte[] p : parts) {
            len += p.length;
        }
        byte[] out = new byte[len];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }
}
