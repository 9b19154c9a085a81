package io.escrow.recovery;

import io.escrow.audit.AuditAppender;
import io.escrow.audit.AuditEntry;
import io.escrow.audit.AuditLeaves;
import io.escrow.warrant.Warrant;
import io.escrow.warrant.WarrantEvidence;
import io.escrow.warrant.WarrantPolicy;
import io.escrow.warrant.WarrantState;
import io.escrow.warrant.WarrantStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The release transactions of a recovery, each in the caller's transaction. A page's release
 * leaves are committed <em>before</em> any custodian works on its records, so every decryption is
 * in the log before it happens, and {@code max_records} bounds what is decrypted, not only what
 * is sent: a record past the cap is never opened.
 */
final class ReleaseLedger {
    private ReleaseLedger() {}

    /** A record whose release leaf is committed, with that leaf's index and exact bytes. */
    record Release(InScopeRecord record, long auditIndex, boolean repeat, byte[] leaf) {}

    /**
     * What a page's commit allowed: the releases to open, in page order, whether they used up the
     * warrant, and why nothing may be released when the warrant stopped being ACTIVE.
     */
    record Committed(List<Release> releases, boolean exhausted, String stopped) {
        static Committed stopped(String why) {
            return new Committed(List.of(), false, why);
        }
    }

    /** SHA-256 of the warrant's recipient key (SEC1 uncompressed), as release leaves carry it. */
    static byte[] recipientSha256(Warrant w) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(w.spec().recipientPublicKey());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A released record that could not be opened, and why. */
    record Failure(Release release, String reason) {}

    /**
     * Under the warrant's row lock and the audit head: re-checks that the warrant row still
     * matches the signed bytes verified at the start (else an {@code evidence_mismatch} leaf and
     * nothing released) and that the warrant is ACTIVE,
     * counts new releases against max_records (dropping those past the cap, which are then never
     * opened), and appends a {@code release} or {@code re-release} leaf per record naming the
     * custodians that will be asked to open it, the record's subject hash and the SHA-256 of the
     * recipient key.
     */
    static Committed commitReleases(Connection c, String caller, String warrantId, boolean onlyNew, List<InScopeRecord> page,
                                    List<String> custodians, byte[] verifiedSignedBytes, Instant now, WarrantPolicy policy,
                                    java.util.function.Function<String, byte[]> subjectHash) throws SQLException {
        long index = AuditAppender.lockHead(c);
        Warrant locked = WarrantStore.find(c, warrantId, true).orElseThrow();
        String changed = WarrantEvidence.changedSince(locked, verifiedSignedBytes);
        if (changed != null) {
            AuditAppender.append(c, index, List.of(AuditEntry.of("evidence_mismatch", now, caller,
                    Map.of("warrant_id", warrantId, "problems", changed))));
            return Committed.stopped(changed);
        }
        if (locked.state(now, policy) != WarrantState.ACTIVE) {
            return Committed.stopped(locked.whyNotActive(now, policy));
        }
        Set<UUID> already = ReleaseStore.released(c, warrantId, page.stream().map(InScopeRecord::recordId).toList());
        int remaining = locked.spec().maxRecords() - locked.recordsReleased();
        List<AuditEntry> leaves = new ArrayList<>();
        List<Release> releases = new ArrayList<>();
        List<UUID> newIds = new ArrayList<>();
        List<Long> newIndexes = new ArrayList<>();
        byte[] recipientSha256 = recipientSha256(locked);
        for (InScopeRecord r : page) {
            boolean repeat = already.contains(r.recordId());
            if ((!repeat && remaining == 0) || (repeat && onlyNew)) {
                continue;
            }
            long idx = index + leaves.size();
            AuditEntry leaf = AuditLeaves.release(repeat, now, caller, warrantId, r.recordId().toString(), r.keyId(), custodians,
                    subjectHash.apply(r.subjectId()), recipientSha256);
            leaves.add(leaf);
            releases.add(new Release(r, idx, repeat, leaf.encode()));
            if (!repeat) {
                newIds.add(r.recordId());
                newIndexes.add(idx);
                remaining--;
            }
        }
        boolean exhausted = remaining == 0;
        if (exhausted) {
            leaves.add(AuditEntry.of("warrant_exhausted", now, caller,
                    Map.of("warrant_id", warrantId, "max_records", locked.spec().maxRecords())));
            WarrantStore.record(c, warrantId, Warrant.Recorded.EXHAUSTED);
        }
        AuditAppender.append(c, index, leaves);
        ReleaseStore.insert(c, warrantId, newIds, newIndexes, now);
        return new Committed(releases, exhausted, null);
    }

    /**
     * Appends a {@code release_failed} leaf per record that was released but could not be
     * opened. The release still counts against max_records: the custodians worked on it.
     */
    static void commitFailures(Connection c, String caller, String warrantId, List<Failure> failures, Instant now)
            throws SQLException {
        if (failures.isEmpty()) {
            return;
        }
        long index = AuditAppender.lockHead(c);
        List<AuditEntry> leaves = new ArrayList<>();
        for (Failure f : failures) {
            leaves.add(AuditEntry.of("release_failed", now, caller, Map.of("warrant_id", warrantId,
                    "record_id", f.release().record().recordId().toString(), "reason", f.reason())));
        }
        AuditAppender.append(c, index, leaves);
    }
}
