package io.escrow.hsm;

import java.util.Arrays;
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

/**
 * An Ed25519 key inside a PKCS#11 token (CKM_EDDSA, PKCS#11 3.0; SoftHSM 2.5 and later), found by
 * its CKA_LABEL and generated in the token (sensitive, not extractable, sign-only) when absent.
 * SunPKCS11 has no EdDSA, so this talks to the module through the JDK's PKCS#11 wrapper, the
 * same module instance SunPKCS11 uses; login state is per process and slot, so an earlier
 * SunPKCS11 login serves this session too.
 */
public final class Pkcs11Ed25519Key {
    private static final long CKF_RW_SESSION = 0x2, CKF_SERIAL_SESSION = 0x4;
    private static final long CKU_USER = 1, CKR_USER_ALREADY_LOGGED_IN = 0x100;
    private static final long CKA_CLASS = 0x0, CKA_TOKEN = 0x1, CKA_PRIVATE = 0x2, CKA_LABEL = 0x3, CKA_KEY_TYPE = 0x100,
            CKA_SENSITIVE = 0x103, CKA_SIGN = 0x108, CKA_VERIFY = 0x10a, CKA_DERIVE = 0x10c, CKA_EXTRACTABLE = 0x162,
            CKA_EC_PARAMS = 0x180, CKA_EC_POINT = 0x181;
    private static final long CKO_PUBLIC_KEY = 2, CKO_PRIVATE_KEY = 3, CKK_EC_EDWARDS = 0x40;
    private static final long CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055, CKM_EDDSA = 0x1057;
    /** DER of OID 1.3.101.112 (id-Ed25519), the curve of the key pair (RFC 8410). */
    private static final byte[] ED25519_OID = {0x06, 0x03, 0x2b, 0x65, 0x70};

    private final String tokenLabel;
    private final PKCS11 p11;
    private final long session;
    private final long privateKey;
    private final byte[] publicKey;

    private Pkcs11Ed25519Key(String tokenLabel, PKCS11 p11, long session, long privateKey, byte[] publicKey) {
        this.tokenLabel = tokenLabel;
        this.p11 = p11;
        this.session = session;
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /**
     * Opens the key labelled {@code keyLabel} in the token of {@code config}, generating it when
     * {@code create} is set and the token has none. The PIN is read once and wiped.
     */
    public static Pkcs11Ed25519Key open(TokenConfig config, String keyLabel, boolean create) {
        String id = config.custodianId();
        long slot = Pkcs11Slots.slotOf(id, config.library(), config.label());
        PKCS11 p11 = Pkcs11Slots.module(id, config.library());
        try {
            long session = p11.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
            char[] pin = config.pin().read(id);
            try {
                p11.C_Login(session, CKU_USER, pin);
            } catch (PKCS11Exception e) {
                if (e.getErrorCode() != CKR_USER_ALREADY_LOGGED_IN) {
                    throw e;
                }
            } finally {
                Arrays.fill(pin, '\0');
            }
            char[] label = keyLabel.toCharArray();
            Long priv = find(p11, session, CKO_PRIVATE_KEY, label);
            Long pub = find(p11, session, CKO_PUBLIC_KEY, label);
            if (priv == null || pub == null) {
                if (!create) {
                    throw new HsmException(id, "token '" + config.label() + "' holds no Ed25519 key '" + keyLabel + "'");
                }
                if (priv != null || pub != null) {
                    throw new HsmException(id, "token '" + config.label() + "' holds only half of the Ed25519 key pair '"
                            + keyLabel + "'; remove it or restore the other half");
                }
                long[] pair = p11.C_GenerateKeyPair(session, new CK_MECHANISM(CKM_EC_EDWARDS_KEY_PAIR_GEN),
                        new CK_ATTRIBUTE[] {
                            new CK_ATTRIBUTE(CKA_TOKEN, true), new CK_ATTRIBUTE(CKA_VERIFY, true),
                            new CK_ATTRIBUTE(CKA_EC_PARAMS, ED25519_OID), new CK_ATTRIBUTE(CKA_LABEL, label)},
                        new CK_ATTRIBUTE[] {
                            new CK_ATTRIBUTE(CKA_TOKEN, true), new CK_ATTRIBUTE(CKA_PRIVATE, true),
                            new CK_ATTRIBUTE(CKA_SENSITIVE, true), new CK_ATTRIBUTE(CKA_EXTRACTABLE, false),
                            new CK_ATTRIBUTE(CKA_SIGN, true), new CK_ATTRIBUTE(CKA_DERIVE, false),
                            new CK_ATTRIBUTE(CKA_LABEL, label)});
                pub = pair[0];
                priv = pair[1];
            }
            CK_ATTRIBUTE[] point = {new CK_ATTRIBUTE(CKA_EC_POINT)};
            p11.C_GetAttributeValue(session, pub, point);
            return new Pkcs11Ed25519Key(config.label(), p11, session, priv, rawPoint(id, point[0].getByteArray()));
        } catch (PKCS11Exception e) {
            throw new HsmException(id, "cannot open the Ed25519 key '" + keyLabel + "' in token '" + config.label() + "': "
                    + e.getMessage() + (e.getMessage().contains("MECHANISM") ? " (the token needs CKM_EDDSA: SoftHSM 2.5 or later)" : ""), e);
        }
    }

    private static Long find(PKCS11 p11, long session, long objectClass, char[] label) throws PKCS11Exception {
        p11.C_FindObjectsInit(session, new CK_ATTRIBUTE[] {
            new CK_ATTRIBUTE(CKA_CLASS, objectClass), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_EC_EDWARDS),
            new CK_ATTRIBUTE(CKA_LABEL, label)});
        try {
            long[] found = p11.C_FindObjects(session, 2);
            if (found.length > 1) {
                throw new HsmException("token", "two Ed25519 keys are labelled '" + new String(label) + "'");
            }
            return found.length == 0 ? null : found[0];
        } finally {
            p11.C_FindObjectsFinal(session);
        }
    }

    /** CKA_EC_POINT of an Ed25519 key: 32 bytes, or a DER OCTET STRING of them (as SoftHSM returns). */
    private static byte[] rawPoint(String id, byte[] point) {
        if (point.length == 32) {
            return point;
        }
        if (point.length == 34 && point[0] == 0x04 && point[1] == 32) {
            return Arrays.copyOfRange(point, 2, 34);
        }
        throw new HsmException(id, "the token returned an Ed25519 public key of " + point.length + " bytes");
    }

    /** An Ed25519 (RFC 8032) signature over {@code data}, made inside the token. */
    public synchronized byte[] sign(byte[] data) {
        try {
            p11.C_SignInit(session, new CK_MECHANISM(CKM_EDDSA), privateKey);
            return p11.C_Sign(session, data);
        } catch (PKCS11Exception e) {
            throw new HsmException(tokenLabel, "the token failed to sign with Ed25519: " + e.getMessage(), e);
        }
    }

    /** The 32-byte RFC 8032 public key. */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    public synchronized void close() {
        try {
            p11.C_CloseSession(session);
        } catch (PKCS11Exception | RuntimeException ignored) {
            // Shutting down; a token that has gone away has no session left to close.
        }
    }

    @Override
    public String toString() {
        return "Pkcs11Ed25519Key[token " + tokenLabel + ", key in token]";
    }
}
