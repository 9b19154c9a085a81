package io.escrow.consent;

import io.escrow.audit.AuditAppender;
import io.escrow.audit.AuditEntry;
import io.escrow.error.EscrowException;
import io.escrow.storage.Database;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Granted activations in the database: each with its {@code activation_granted} leaf in the same
 * transaction, and each custodian signature usable for one activation only.
 */
final class ActivationRecords {
    private final Database db;

    ActivationRecords(Database db) {
        this.db = db;
    }

    /** What a granted activation records. */
    record Granted(String custodianId, String warrantId, String signer, byte[] cmsHash, Instant expiresAt, int maxUses) {}

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data == null ? new byte[0] : data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether an activation already used the signature with this hash. */
    boolean alreadyUsed(byte[] cmsHash) {
        return db.inTransaction("checking activation signatures", c -> {
            try (PreparedStatement ps = c.prepareStatement("select 1 from custodian_activations where cms_sha256 = ?")) {
                ps.setBytes(1, cmsHash);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** Commits the activation and its audit leaf together; a signature used twice is refused as a replay. */
    void record(String caller, Granted g, Instant now) {
        db.inTransaction("recording an activation", c -> {
            long index = AuditAppender.lockHead(c);
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("custodian_id", g.custodianId());
            f.put("warrant_id", g.warrantId());
            f.put("signer", g.signer());
            f.put("cms_sha256", g.cmsHash());
            f.put("expires_at", g.expiresAt().getEpochSecond());
            f.put("max_uses", g.maxUses());
            AuditAppender.append(c, index, List.of(AuditEntry.of("activation_granted", now, caller, f)));
            try (PreparedStatement ps = c.prepareStatement("insert into custodian_activations (custodian_id, warrant_id, "
                    + "cms_sha256, activated_by, activated_at, expires_at, max_uses, audit_index) values (?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, g.custodianId());
                ps.setString(2, g.warrantId());
                ps.setBytes(3, g.cmsHash());
                ps.setString(4, caller);
                ps.setTimestamp(5, Timestamp.from(now));
                ps.setTimestamp(6, Timestamp.from(g.expiresAt()));
                ps.setInt(7, g.maxUses());
                ps.setLong(8, index);
                ps.executeUpdate();
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState())) {
                    // The same signature raced another activation request: a replay.
                    throw replay();
                }
                throw e;
            }
            return null;
        });
    }

    static ActivationRejectedException replay() {
        return new ActivationRejectedException(EscrowException.Category.FAILED_PRECONDITION,
                "this signature was already used for an activation; sign the warrant again to activate again");
    }
}
