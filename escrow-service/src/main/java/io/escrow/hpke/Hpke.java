package io.escrow.hpke;

import io.escrow.threshold.P256;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.BigIntegers;

/**
 * RFC 9180 HPKE in base mode for DHKEM(P-256, HKDF-SHA256) and HKDF-SHA256. The KEM's
 * Diffie-Hellman step is separable ({@link #sharedSecretFromDh}), which is what lets the escrow
 * key's DH be computed as a threshold across custodian tokens instead of with one private key.
 */
public final class Hpke {
    private static final byte MODE_BASE = 0x00;

    private final HpkeSuite suite;

    public Hpke(HpkeSuite suite) {
        this.suite = Objects.requireNonNull(suite, "suite");
    }

    public HpkeSuite suite() {
        return suite;
    }

    /**
     * Fixed-base comb multiplication: its precomputed table for a point is built once and kept on
     * that point object, so multiples of G (and of a {@link Recipient}) cost a fraction of a
     * general scalar multiplication. Regular, like the comb it is.
     */
    private static final FixedPointCombMultiplier COMB = new FixedPointCombMultiplier();

    /**
     * A validated recipient public key for sealing many messages to it: the point is decoded and
     * checked once, and its comb table is built on first use.
     */
    public static final class Recipient {
        private final byte[] encoded;
        private final ECPoint point;

        public Recipient(byte[] encoded) {
            this.point = P256.decodeUncompressed("recipient public key", encoded);
            this.encoded = encoded.clone();
        }
    }

    /** The result of a single-shot seal: the encapsulated key and the AEAD output. */
    public record Sealed(byte[] enc, byte[] ciphertext) {}

    /** An ephemeral or static P-256 key pair; the private half never prints. */
    public static final class KeyPair {
        private final BigInteger secret;
        private final ECPoint publicKey;

        public KeyPair(BigInteger secret) {
            if (!P256.isNonZeroScalar(secret)) {
                throw new IllegalArgumentException("private key out of range");
            }
            this.secret = secret;
            this.publicKey = COMB.multiply(P256.G, secret).normalize();
        }

        public BigInteger secret() {
            return secret;
        }

        public ECPoint publicKey() {
            return publicKey;
        }

        public byte[] publicKeyBytes() {
            return P256.encodeUncompressed(publicKey);
        }

        @Override
        public String toString() {
            return "KeyPair[public=" + org.bouncycastle.util.encoders.Hex.toHexString(publicKeyBytes()) + ", private=redacted]";
        }
    }

    public static KeyPair generateKeyPair(SecureRandom rng) {
        BigInteger k;
        do {
            k = new BigInteger(256, rng);
        } while (!P256.isNonZeroScalar(k));
        return new KeyPair(k);
    }

    /** RFC 9180 §7.1.3 DeriveKeyPair for P-256 (rejection sampling with a counter). */
    public KeyPair deriveKeyPair(byte[] ikm) {
        byte[] dkpPrk = LabeledHkdf.labeledExtract(suite.kemSuiteId(), new byte[0], "dkp_prk", ikm);
        for (int counter = 0; counter <= 255; counter++) {
            byte[] bytes = LabeledHkdf.labeledExpand(suite.kemSuiteId(), dkpPrk, "candidate",
                    new byte[] {(byte) counter}, P256.SCALAR_BYTES);
            BigInteger sk = BigIntegers.fromUnsignedByteArray(bytes);
            Arrays.fill(bytes, (byte) 0);
            if (P256.isNonZeroScalar(sk)) {
                return new KeyPair(sk);
            }
        }
        throw new IllegalStateException("DeriveKeyPairError");
    }

    /** Single-shot base-mode seal to {@code recipient} with a fresh ephemeral key. */
    public Sealed seal(byte[] recipientPublicKey, byte[] info, byte[] aad, byte[] plaintext, SecureRandom rng) {
        return sealWithEphemeral(recipientPublicKey, generateKeyPair(rng), info, aad, plaintext);
    }

    /** Single-shot base-mode seal to a recipient that receives many messages. */
    public Sealed seal(Recipient recipient, byte[] info, byte[] aad, byte[] plaintext, SecureRandom rng) {
        KeyPair ephemeral = generateKeyPair(rng);
        return seal(recipient.encoded, COMB.multiply(recipient.point, ephemeral.secret()), ephemeral, info, aad, plaintext);
    }

    /** Seal with a caller-chosen ephemeral key; only for known-answer tests. */
    public Sealed sealWithEphemeral(byte[] recipientPublicKey, KeyPair ephemeral, byte[] info, byte[] aad, byte[] plaintext) {
        ECPoint pkR = P256.decodeUncompressed("recipient public key", recipientPublicKey);
        return seal(recipientPublicKey, pkR.multiply(ephemeral.secret()), ephemeral, info, aad, plaintext);
    }

    /** @param shared the DH point ephemeral·pkR */
    private Sealed seal(byte[] recipientPublicKey, ECPoint shared, KeyPair ephemeral, byte[] info, byte[] aad, byte[] plaintext) {
        byte[] enc = ephemeral.publicKeyBytes();
        byte[] dh = P256.xBytes(shared.normalize());
        byte[] sharedSecret = sharedSecretFromDh(dh, enc, recipientPublicKey);
        HpkeContext ctx = keySchedule(sharedSecret, info);
        try {
            return new Sealed(enc, ctx.seal(aad, plaintext));
        } finally {
            ctx.destroy();
            Arrays.fill(dh, (byte) 0);
            Arrays.fill(sharedSecret, (byte) 0);
        }
    }

    /** Single-shot base-mode open with the recipient's private key; null when authentication fails. */
    public byte[] openOrNull(KeyPair recipient, byte[] enc, byte[] info, byte[] aad, byte[] ciphertext) {
        ECPoint pkE = P256.decodeUncompressed("enc", enc);
        byte[] dh = P256.xBytes(pkE.multiply(recipient.secret()).normalize());
        try {
            return openWithDhOrNull(dh, enc, recipient.publicKeyBytes(), info, aad, ciphertext);
        } finally {
            Arrays.fill(dh, (byte) 0);
        }
    }

    /**
     * Finishes decapsulation and opens, given the raw DH output x(skR·pkE) however it was
     * computed. Returns null when the AEAD tag does not verify.
     */
    public byte[] openWithDhOrNull(byte[] dh, byte[] enc, byte[] recipientPublicKey, byte[] info, byte[] aad, byte[] ciphertext) {
        return openWithDhAndContextOrNull(dh, enc, recipientPublicKey, keyScheduleContext(info), aad, ciphertext);
    }

    /**
     * As {@link #openWithDhOrNull}, with key_schedule_context precomputed once per record: trial
     * decryption over several DH candidates then costs four HMACs and one AES-GCM per candidate.
     */
    public byte[] openWithDhAndContextOrNull(byte[] dh, byte[] enc, byte[] recipientPublicKey,
                                              byte[] keyScheduleContext, byte[] aad, byte[] ciphertext) {
        byte[] sharedSecret = sharedSecretFromDh(dh, enc, recipientPublicKey);
        HpkeContext ctx = keyScheduleFromContext(sharedSecret, keyScheduleContext, false);
        try {
            return ctx.openOrNull(aad, ciphertext);
        } finally {
            ctx.destroy();
            Arrays.fill(sharedSecret, (byte) 0);
        }
    }

    /** DHKEM ExtractAndExpand: shared_secret from dh and kem_context = enc || pkRm. */
    public byte[] sharedSecretFromDh(byte[] dh, byte[] enc, byte[] recipientPublicKey) {
        byte[] eaePrk = LabeledHkdf.labeledExtract(suite.kemSuiteId(), new byte[0], "eae_prk", dh);
        try {
            return LabeledHkdf.labeledExpand(suite.kemSuiteId(), eaePrk, "shared_secret",
                    HpkeSuite.concat(enc, recipientPublicKey), HpkeSuite.NH);
        } finally {
            Arrays.fill(eaePrk, (byte) 0);
        }
    }

    /** The base-mode key schedule (RFC 9180 §5.1) with empty PSK: secret = LabeledExtract(shared_secret, "secret", psk). */
    public HpkeContext keySchedule(byte[] sharedSecret, byte[] info) {
        return keyScheduleFromContext(sharedSecret, keyScheduleContext(info), true);
    }

    /** The key schedule; the exporter secret is derived only when a caller may export. */
    private HpkeContext keyScheduleFromContext(byte[] sharedSecret, byte[] context, boolean withExporter) {
        byte[] secret = LabeledHkdf.labeledExtract(suite.hpkeSuiteId(), sharedSecret, "secret", new byte[0]);
        try {
            byte[] key = LabeledHkdf.labeledExpand(suite.hpkeSuiteId(), secret, "key", context, suite.nk());
            byte[] baseNonce = LabeledHkdf.labeledExpand(suite.hpkeSuiteId(), secret, "base_nonce", context, HpkeSuite.NN);
            byte[] exporter = withExporter
                    ? LabeledHkdf.labeledExpand(suite.hpkeSuiteId(), secret, "exp", context, HpkeSuite.NH)
                    : new byte[0];
            return new HpkeContext(suite, key, baseNonce, exporter);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /** key_schedule_context = mode || psk_id_hash || info_hash. */
    public byte[] keyScheduleContext(byte[] info) {
        byte[] pskIdHash = LabeledHkdf.labeledExtract(suite.hpkeSuiteId(), new byte[0], "psk_id_hash", new byte[0]);
        byte[] infoHash = LabeledHkdf.labeledExtract(suite.hpkeSuiteId(), new byte[0], "info_hash", info);
        return HpkeSuite.concat(new byte[] {MODE_BASE}, pskIdHash, infoHash);
    }

    /** The secret of the key schedule; exposed for known-answer tests only. */
    byte[] scheduleSecret(byte[] sharedSecret) {
        return LabeledHkdf.labeledExtract(suite.hpkeSuiteId(), sharedSecret, "secret", new byte[0]);
    }
}
