package io.escrow.hpke;

import java.nio.charset.StandardCharsets;

/**
 * The HPKE {@code info} and {@code aad} strings of contract §1, in one place: deposits are sealed
 * to the escrow key under these, and recovered keys are re-sealed to a warrant's recipient.
 */
public final class ContractLabels {
    private ContractLabels() {}

    /** {@code escrow/v1/deposit/} + key_id. */
    public static byte[] depositInfo(String keyId) {
        return utf8("escrow/v1/deposit/" + keyId);
    }

    /** subject_id + "\n" + covers_from + "\n" + covers_until, times in decimal Unix seconds. */
    public static byte[] depositAad(String subjectId, long coversFrom, long coversUntil) {
        return utf8(subjectId + "\n" + coversFrom + "\n" + coversUntil);
    }

    /** {@code escrow/v1/recovery/} + warrant_id. */
    public static byte[] recoveryInfo(String warrantId) {
        return utf8("escrow/v1/recovery/" + warrantId);
    }

    /** The record_id. */
    public static byte[] recoveryAad(String recordId) {
        return utf8(recordId);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
