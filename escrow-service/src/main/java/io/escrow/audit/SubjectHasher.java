package io.escrow.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Subject identifiers appear in audit leaves only as HMAC-SHA256(salt, subject_id), with a
 * per-deployment salt kept in the database: an overseer who is told a subject can check its
 * entries, but the log alone does not reveal whom it is about.
 */
public final class SubjectHasher {
    private static final String SALT_NAME = "audit-subject-salt";
    private final byte[] salt;
    private final ThreadLocal<Mac> mac;

    private SubjectHasher(byte[] salt) {
        this.salt = salt;
        this.mac = ThreadLocal.withInitial(() -> {
            try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(new SecretKeySpec(this.salt, "HmacSHA256"));
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is unavailable", e);
            }
        });
    }

    /** Loads the salt, creating it on first use (concurrent replicas agree through the primary key). */
    public static SubjectHasher load(io.escrow.storage.Database db) {
        return db.inTransaction("loading the audit subject salt", SubjectHasher::load);
    }

    static SubjectHasher load(Connection c) throws SQLException {
        byte[] fresh = new byte[32];
        new SecureRandom().nextBytes(fresh);
        try (PreparedStatement ins = c.prepareStatement(
                "insert into service_secrets (name, value) values (?, ?) on conflict (name) do nothing")) {
            ins.setString(1, SALT_NAME);
            ins.setBytes(2, fresh);
            ins.executeUpdate();
        }
        try (PreparedStatement sel = c.prepareStatement("select value from service_secrets where name = ?")) {
            sel.setString(1, SALT_NAME);
            try (ResultSet rs = sel.executeQuery()) {
                rs.next();
                return new SubjectHasher(rs.getBytes(1));
            }
        }
    }

    /** A hasher with a salt someone else keeps: a custodian agent recomputing the log's subject hashes. */
    public static SubjectHasher of(byte[] salt) {
        if (salt == null || salt.length == 0) {
            throw new IllegalArgumentException("the subject-hash salt is empty");
        }
        return new SubjectHasher(salt.clone());
    }

    /**
     * The salt, for custodian agents, which recompute subject hashes themselves: a wrong salt can
     * only make their checks fail, never make another subject's hash match.
     */
    public byte[] salt() {
        return salt.clone();
    }

    public byte[] hash(String subjectId) {
        return mac.get().doFinal(subjectId.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "SubjectHasher[salt=redacted]";
    }
}
