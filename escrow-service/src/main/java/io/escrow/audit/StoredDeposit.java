package io.escrow.audit;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A {@code deposits} row as far as its audit leaf goes. Since migration V12 the row is the only
 * copy of a deposit: its leaf is {@link #leaf} of the row, byte for byte what the leaf was when
 * it was stored in audit_log, because it is the same function of the same values.
 */
public record StoredDeposit(long auditIndex, Instant depositedAt, String provider, UUID recordId, String subjectId, String keyId,
                            long coversFrom, long coversUntil, byte[] enc, byte[] ciphertext) {
    /** The columns {@link #read} expects, in order, from a table aliased {@code d}. */
    public static final String COLUMNS = "d.audit_index, d.deposited_at, d.provider, d.record_id, d.subject_id, d.key_id, "
            + "d.covers_from, d.covers_until, d.enc, d.ciphertext";

    public StoredDeposit {
        Objects.requireNonNull(depositedAt, "depositedAt");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(recordId, "recordId");
        Objects.requireNonNull(subjectId, "subjectId");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(enc, "enc");
        Objects.requireNonNull(ciphertext, "ciphertext");
    }

    /** Reads {@link #COLUMNS} starting at column {@code first}. */
    public static StoredDeposit read(ResultSet rs, int first) throws SQLException {
        return new StoredDeposit(rs.getLong(first), rs.getTimestamp(first + 1).toInstant(), rs.getString(first + 2),
                rs.getObject(first + 3, UUID.class), rs.getString(first + 4), rs.getString(first + 5), rs.getLong(first + 6),
                rs.getLong(first + 7), rs.getBytes(first + 8), rs.getBytes(first + 9));
    }

    /** The deposit's audit leaf: the exact bytes hashed into the tree at {@link #auditIndex}. */
    public byte[] leaf(SubjectHasher subjects) {
        return AuditLeaves.deposit(depositedAt, provider, recordId.toString(), subjects.hash(subjectId), keyId, coversFrom,
                coversUntil, AuditLeaves.payloadSha256(enc, ciphertext)).encode();
    }
}
