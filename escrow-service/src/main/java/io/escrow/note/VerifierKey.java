package io.escrow.note;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * A C2SP verifier key ("vkey"): {@code <name>+<hex key ID>+base64(type || public key)}. Three
 * signature types are understood: Ed25519 (0x01), ECDSA P-256 as transparency-dev/witness signs
 * (0x02; the key is a DER SubjectPublicKeyInfo) and Ed25519 cosignatures (0x04,
 * c2sp.org/tlog-cosignature). The key ID is checked against the key when parsed.
 */
public final class VerifierKey {
    public static final byte ED25519 = 0x01;
    public static final byte ECDSA = 0x02;
    public static final byte COSIGNATURE_V1 = 0x04;

    private final String name;
    private final byte type;
    private final byte[] key;
    private final int keyId;
    private final PublicKey ecdsaKey;

    private VerifierKey(String name, byte type, byte[] key) {
        checkName(name);
        this.name = name;
        this.type = type;
        this.key = key.clone();
        switch (type) {
            case ED25519, COSIGNATURE_V1 -> {
                if (key.length != Ed25519.PUBLIC_KEY_SIZE || !Ed25519.validatePublicKeyFull(key, 0)) {
                    throw new NoteFormatException("key '" + name + "' is not a valid 32-byte Ed25519 public key");
                }
                this.ecdsaKey = null;
                this.keyId = idOf(sha256(concat(name.getBytes(StandardCharsets.UTF_8), new byte[] {'\n', type}, key)));
            }
            case ECDSA -> {
                this.ecdsaKey = p256(name, key);
                this.keyId = idOf(sha256(key));
            }
            default -> throw new NoteFormatException("key '" + name + "' has signature type 0x"
                    + String.format("%02x", type) + ", which is not Ed25519 (01), ECDSA (02) or an Ed25519 cosignature (04)");
        }
    }

    public static VerifierKey ed25519(String name, byte[] publicKey) {
        return new VerifierKey(name, ED25519, publicKey);
    }

    public static VerifierKey cosignature(String name, byte[] publicKey) {
        return new VerifierKey(name, COSIGNATURE_V1, publicKey);
    }

    public static VerifierKey ecdsa(String name, byte[] spki) {
        return new VerifierKey(name, ECDSA, spki);
    }

    public static VerifierKey parse(String vkey) {
        String[] parts = vkey.strip().split("\\+", 3);
        if (parts.length != 3 || !parts[1].matches("[0-9a-f]{8}")) {
            throw new NoteFormatException("a verifier key is <name>+<8 hex digits>+<base64 key>");
        }
        byte[] typed = NoteSignature.canonicalBase64(parts[2], "the key of verifier key '" + parts[0] + "'");
        if (typed.length < 2) {
            throw new NoteFormatException("verifier key '" + parts[0] + "' holds no key");
        }
        VerifierKey k = new VerifierKey(parts[0], typed[0], Arrays.copyOfRange(typed, 1, typed.length));
        if (k.keyId != Integer.parseUnsignedInt(parts[1], 16)) {
            throw new NoteFormatException("verifier key '" + parts[0] + "' names key ID " + parts[1]
                    + " but its key has ID " + String.format("%08x", k.keyId));
        }
        return k;
    }

    public String name() {
        return name;
    }

    public byte type() {
        return type;
    }

    public int keyId() {
        return keyId;
    }

    public byte[] publicKey() {
        return key.clone();
    }

    /** Whether {@code sig} claims to be from this key (same name and key ID). */
    public boolean matches(NoteSignature sig) {
        return sig.keyName().equals(name) && sig.keyId() == keyId;
    }

    /**
     * Whether {@code sig} is a valid signature by this key over {@code text}. For a cosignature the
     * signed message is {@code cosignature/v1\ntime <t>\n} followed by the text.
     */
    public boolean verifies(byte[] text, NoteSignature sig) {
        if (!matches(sig)) {
            return false;
        }
        byte[] s = sig.signature();
        switch (type) {
            case ED25519:
                return s.length == Ed25519.SIGNATURE_SIZE && Ed25519.verify(s, 0, key, 0, text, 0, text.length);
            case COSIGNATURE_V1: {
                if (s.length != 8 + Ed25519.SIGNATURE_SIZE) {
                    return false;
                }
                long time = ByteBuffer.wrap(s, 0, 8).getLong();
                if (time < 0) {
                    return false;
                }
                byte[] message = Cosignatures.message(time, text);
                return Ed25519.verify(s, 8, key, 0, message, 0, message.length);
            }
            case ECDSA:
                try {
                    Signature v = Signature.getInstance("SHA256withECDSA");
                    v.initVerify(ecdsaKey);
                    v.update(text);
                    return v.verify(s);
                } catch (GeneralSecurityException e) {
                    return false;
                }
            default:
                return false;
        }
    }

    /** The vkey string. */
    public String encode() {
        byte[] typed = new byte[key.length + 1];
        typed[0] = type;
        System.arraycopy(key, 0, typed, 1, key.length);
        return name + "+" + String.format("%08x", keyId) + "+" + Base64.getEncoder().encodeToString(typed);
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new NoteFormatException("a key name must not be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '+' || c < 0x20 || c == 0x7f) {
                throw new NoteFormatException("a key name must not contain spaces, '+' or control characters");
            }
        }
    }

    private static PublicKey p256(String name, byte[] spki) {
        try {
            PublicKey k = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
            if (!(k instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
                throw new NoteFormatException("ECDSA key '" + name + "' is not on P-256");
            }
            return k;
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof NoteFormatException n) {
                throw n;
            }
            throw new NoteFormatException("ECDSA key '" + name + "' is not a DER SubjectPublicKeyInfo of a P-256 key");
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int idOf(byte[] hash) {
        return ByteBuffer.wrap(hash, 0, 4).getInt();
    }

    private static byte[] concat(byte[]... parts) {
        int n = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        ByteBuffer b = ByteBuffer.allocate(n);
        Arrays.stream(parts).forEach(b::put);
        return b.array();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerifierKey k && k.name.equals(name) && k.type == type && Arrays.equals(k.key, key);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + keyId;
    }

    @Override
    public String toString() {
        return encode();
    }
}
