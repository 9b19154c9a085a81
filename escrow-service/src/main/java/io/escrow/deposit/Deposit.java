package io.escrow.deposit;

import io.escrow.error.InvalidArgumentException;
import io.escrow.error.TextFields;
import io.escrow.hpke.HpkeSuite;
import io.escrow.keys.KeyRegistry;
import io.escrow.threshold.InvalidPointException;
import io.escrow.threshold.KeyId;
import io.escrow.threshold.P256;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;

/**
 * A validated deposit: everything a provider sends except its own identity, which comes from its
 * certificate. Built only through {@link #validate}, which checks every field and names the first
 * bad one.
 */
public final class Deposit {
    public static final int MAX_ID_BYTES = 256;
    public static final int MAX_SESSION_KEY_BYTES = 1024;
    /** Year 9999: later instants are certainly mistakes, and would overflow some clients. */
    private static final long MAX_SECONDS = 253_402_300_799L;

    private final String providerRecordId;
    private final String subjectId;
    private final String keyId;
    private final long coversFrom;
    private final long coversUntil;
    private final byte[] enc;
    private final byte[] ciphertext;
    private final byte[] digest;

    private Deposit(String providerRecordId, String subjectId, String keyId, long coversFrom, long coversUntil,
                    byte[] enc, byte[] ciphertext) {
        this.providerRecordId = providerRecordId;
        this.subjectId = subjectId;
        this.keyId = keyId;
        this.coversFrom = coversFrom;
        this.coversUntil = coversUntil;
        this.enc = enc;
        this.ciphertext = ciphertext;
        this.digest = digest();
    }

    /**
     * @param coversFrom  null when the request did not set it
     * @param coversUntil null when the request did not set it
     */
    public static Deposit validate(String providerRecordId, String subjectId, String keyId, Instant coversFrom,
                                   Instant coversUntil, byte[] enc, byte[] ciphertext, KeyRegistry keys) {
        printable("provider_record_id", providerRecordId);
        printable("subject_id", subjectId);
        if (keyId == null || keyId.isEmpty()) {
            throw new InvalidArgumentException("key_id", "is required");
        }
        try {
            KeyId.require(keyId);
        } catch (KeyId.InvalidKeyIdException e) {
            throw new InvalidArgumentException("key_id", "is not a valid key_id");
        }
        if (keys.find(keyId).isEmpty()) {
            throw new InvalidArgumentException("key_id", "unknown escrow key '" + keyId + "'");
        }
        long from = seconds("covers_from", coversFrom);
        long until = seconds("covers_until", coversUntil);
        if (from > until) {
            throw new InvalidArgumentException("covers_until", "is before covers_from");
        }
        try {
            P256.decodeUncompressed("enc", enc);
        } catch (InvalidPointException e) {
            throw new InvalidArgumentException("enc", e.getMessage().substring("enc: ".length()));
        }
        int min = 1 + HpkeSuite.TAG_BYTES;
        int max = MAX_SESSION_KEY_BYTES + HpkeSuite.TAG_BYTES;
        if (ciphertext == null || ciphertext.length < min || ciphertext.length > max) {
            throw new InvalidArgumentException("ciphertext", "has " + (ciphertext == null ? 0 : ciphertext.length)
                    + " bytes; a sealed 1-" + MAX_SESSION_KEY_BYTES + " byte session key has " + min + "-" + max);
        }
        return new Deposit(providerRecordId, subjectId, keyId, from, until, enc.clone(), ciphertext.clone());
    }

    private static void printable(String field, String value) {
        TextFields.requirePrintable(field, value, MAX_ID_BYTES);
    }

    private static long seconds(String field, Instant t) {
        if (t == null) {
            throw new InvalidArgumentException(field, "is required");
        }
        if (t.getNano() != 0) {
            throw new InvalidArgumentException(field, "must be whole seconds: the HPKE aad binds Unix seconds");
        }
        if (t.getEpochSecond() < 0 || t.getEpochSecond() > MAX_SECONDS) {
            throw new InvalidArgumentException(field, "is outside 1970-01-01..9999-12-31");
        }
        return t.getEpochSecond();
    }

    /** SHA-256 over the length-prefixed fields: equal digests mean an identical deposit. */
    private byte[] digest() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] part : new byte[][] {
                    subjectId.getBytes(StandardCharsets.UTF_8), keyId.getBytes(StandardCharsets.UTF_8),
                    Long.toString(coversFrom).getBytes(StandardCharsets.US_ASCII),
                    Long.toString(coversUntil).getBytes(StandardCharsets.US_ASCII), enc, ciphertext}) {
                md.update(ByteBuffer.allocate(4).putInt(part.length).array());
                md.update(part);
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public String providerRecordId() {
        return providerRecordId;
    }

    public String subjectId() {
        return subjectId;
    }

    public String keyId() {
        return keyId;
    }

    public long coversFrom() {
        return coversFrom;
    }

    public long coversUntil() {
        return coversUntil;
    }

    byte[] encRef() {
        return enc;
    }

    byte[] ciphertextRef() {
        return ciphertext;
    }

    /** Same subject, key, window, enc and ciphertext: a replay of {@code other}, whatever its provider_record_id. */
    boolean sameContent(Deposit other) {
        return MessageDigest.isEqual(digest, other.digest);
    }

    /**
     * A deposit as the database holds it, read back to tell a replay from a conflict. Not
     * validated again: it was validated before it was stored.
     */
    static Deposit stored(String providerRecordId, String subjectId, String keyId, long coversFrom, long coversUntil, byte[] enc,
                          byte[] ciphertext) {
        return new Deposit(providerRecordId, subjectId, keyId, coversFrom, coversUntil, enc, ciphertext);
    }

    @Override
    public String toString() {
        return "Deposit[" + providerRecordId + ", key " + keyId + ", covers " + coversFrom + ".." + coversUntil
                + ", ciphertext " + ciphertext.length + " bytes]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Deposit d && providerRecordId.equals(d.providerRecordId) && Arrays.equals(digest, d.digest);
    }

    @Override
    public int hashCode() {
        return providerRecordId.hashCode() * 31 + Arrays.hashCode(digest);
    }

}
