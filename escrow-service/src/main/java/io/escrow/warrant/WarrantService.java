package io.escrow.warrant;

import io.escrow.audit.AuditAppender;
import io.escrow.audit.AuditEntry;
import io.escrow.audit.AuditWriter;
import io.escrow.audit.SubjectHasher;
import io.escrow.cms.CmsSignatureVerifier;
import io.escrow.cms.TrustAnchors;
import io.escrow.cms.VerifiedSignature;
import io.escrow.error.EscrowException;
import io.escrow.error.InvalidArgumentException;
import io.escrow.storage.Database;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Filing, approval, revocation and expiry of warrants. Each accepted action and each rejection
 * appends an audit leaf; accepted actions commit together with their leaf, rejections commit
 * their leaf before the caller hears the error.
 *
 * <p>Lock order, in every transaction that writes: the audit head, then the warrant row.
 */
public final class WarrantService {
    private static final Pattern WARRANT_ID = Pattern.compile("w-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final Database db;
    private final TrustAnchors authorities;
    private final WarrantPolicy policy;
    private final WarrantLimits limits;
    private final SubjectHasher subjects;
    private final Clock clock;
    private final MeterRegistry meters;
    private final AuditWriter audit;
    private final io.escrow.audit.RefusalRecorder refusals;

    public WarrantService(Database db, TrustAnchors authorities, WarrantPolicy policy, WarrantLimits limits,
                          SubjectHasher subjects, Clock clock, MeterRegistry meters) {
        this.db = db;
        this.authorities = authorities;
        this.policy = policy;
        this.limits = limits;
        this.subjects = subjects;
        this.clock = clock;
        this.meters = meters;
        this.audit = new AuditWriter(db, clock);
        this.refusals = new io.escrow.audit.RefusalRecorder(audit);
        // Registered up front so that dashboards show zero rather than no data.
        for (String name : new String[] {"escrow.warrants.filed", "escrow.warrant.approvals", "escrow.warrants.revoked",
                "escrow.warrant.evidence.mismatches"}) {
            meters.counter(name);
        }
    }

    public WarrantPolicy policy() {
        return policy;
    }

    public Instant now() {
        return clock.instant();
    }

    public Warrant file(String caller, WarrantRequest request) {
        Instant now = clock.instant();
        WarrantSpec spec;
        try {
            spec = request.validate(limits, now);
        } catch (EscrowException e) {
            throw rejected("warrant_filing_rejected", caller, null, e);
        }
        String warrantId = "w-" + UUID.randomUUID();
        byte[] signed = SignedBytes.encode(warrantId, spec);
        Object outcome = db.inTransaction("filing a warrant", c -> {
            long index = AuditAppender.lockHead(c);
            if (WarrantStore.nonceUsed(c, spec.nonce())) {
                return new InvalidArgumentException("spec.nonce", "was already used by another warrant; "
                        + "every filing needs fresh random bytes");
            }
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("warrant_id", warrantId);
            f.put("case_reference", spec.caseReference());
            f.put("requesting_agency", spec.requestingAgency());
            f.put("subject_hashes", subjectHashes(spec.subjectIds()));
            f.put("covers_from", spec.coversFrom());
            f.put("covers_until", spec.coversUntil());
            f.put("not_before", spec.notBefore());
            f.put("not_after", spec.notAfter());
            f.put("max_records", spec.maxRecords());
            f.put("signed_bytes_sha256", sha256(signed));
            AuditAppender.append(c, index, List.of(AuditEntry.of("warrant_filed", now, caller, f)));
            WarrantStore.insert(c, warrantId, spec, signed, caller, now, index);
            return null;
        });
        if (outcome instanceof EscrowException e) {
            throw rejected("warrant_filing_rejected", caller, null, e);
        }
        count("escrow.warrants.filed");
        return get(warrantId);
    }

    public Warrant get(String warrantId) {
        requireId(warrantId);
        expireDue();
        return db.inTransaction("reading warrant " + warrantId, c -> WarrantStore.find(c, warrantId, false))
                .orElseThrow(() -> new WarrantNotFoundException(warrantId));
    }

    /**
     * A page of warrants, oldest first, after the one filed at audit index {@code after}: those
     * {@code filedBy} filed when present, else all.
     */
    public WarrantStore.Listed list(java.util.Optional<String> filedBy, long after, int pageSize) {
        if (pageSize < 1 || pageSize > MAX_PAGE) {
            throw new io.escrow.error.InvalidArgumentException("page_size", "must be 1.." + MAX_PAGE);
        }
        expireDue();
        return db.inTransaction("listing warrants", c -> WarrantStore.list(c, filedBy, after, pageSize));
    }

    /** The most warrants one ListWarrants page holds. */
    public static final int MAX_PAGE = 500;

    /**
     * The warrant as stored, once its evidence is re-verified ({@link WarrantEvidence}): what a
     * release may rely on. Any mismatch is audited as {@code evidence_mismatch} and refused with
     * FAILED_PRECONDITION; nothing is released.
     */
    public Warrant requireIntact(String caller, String warrantId) {
        return intactEvidence(caller, warrantId).warrant();
    }

    /**
     * The stored warrant with its approvals' CMS signatures, once re-verified as in
     * {@link #requireIntact}: what the service forwards to custodian agents, which check it again.
     */
    public WarrantEvidence.Stored intactEvidence(String caller, String warrantId) {
        WarrantEvidence.Stored stored = db.inTransaction("re-reading the evidence of warrant " + warrantId,
                c -> new WarrantEvidence.Stored(WarrantStore.find(c, warrantId, false).orElseThrow(
                        () -> new WarrantNotFoundException(warrantId)), WarrantStore.storedApprovals(c, warrantId),
                        WarrantStore.releaseRows(c, warrantId)));
        List<String> problems = WarrantEvidence.problems(stored, authorities, policy, clock.instant());
        if (problems.isEmpty()) {
            return stored;
        }
        String reasons = String.join("; ", problems);
        audit.append("evidence_mismatch", caller, Map.of("warrant_id", warrantId, "problems", reasons));
        meters.counter("escrow.warrant.evidence.mismatches").increment();
        throw new WarrantNotActiveException("warrant " + warrantId + " does not match the evidence it was approved on: "
                + reasons);
    }

    public WarrantState state(Warrant w) {
        return w.state(clock.instant(), policy);
    }

    /**
     * An authority's CMS signature over the bytes {@code content} takes from the warrant, verified;
     * an unknown warrant or a bad signature is audited as {@code rejection} and thrown.
     */
    private VerifiedSignature authoritySignature(String caller, String warrantId, byte[] cms, String rejection,
                                                 java.util.function.Function<Warrant, byte[]> content) {
        try {
            Warrant w = get(warrantId);
            return CmsSignatureVerifier.verify(cms, content.apply(w), authorities, w.filedAt(), clock.instant());
        } catch (EscrowException e) {
            throw rejected(rejection, caller, warrantId, e);
        }
    }

    public Warrant approve(String caller, String warrantId, byte[] cms) {
        VerifiedSignature sig = authoritySignature(caller, warrantId, cms, "approval_rejected", Warrant::signedBytes);
        Instant now = clock.instant();
        Object outcome = db.inTransaction("approving warrant " + warrantId, c -> {
            long index = AuditAppender.lockHead(c);
            Warrant locked = WarrantStore.find(c, warrantId, true).orElseThrow();
            WarrantState state = locked.state(now, policy);
            if (state.isFinal()) {
                return new WarrantNotActiveException("cannot approve: " + locked.whyNotActive(now, policy));
            }
            if (locked.approvals().stream().anyMatch(a -> a.authority().equals(sig.name()))) {
                return new DuplicateApprovalException(warrantId, sig.name());
            }
            List<Approval> after = new java.util.ArrayList<>(locked.approvals());
            after.add(new Approval(sig.name(), sig.signer(), now));
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("warrant_id", warrantId);
            f.put("authority", sig.name());
            f.put("signer", sig.signer());
            f.put("signing_time", sig.signingTime().getEpochSecond());
            f.put("signer_certificate_sha256", sig.certificateSha256());
            f.put("cms_sha256", sha256(cms));
            f.put("policy_met", policy.isMetBy(after));
            AuditAppender.append(c, index, List.of(AuditEntry.of("warrant_approved", now, caller, f)));
            WarrantStore.insertApproval(c, warrantId, sig.name(), sig.signer(), sig.signingTime(), now, cms, index);
            return null;
        });
        if (outcome instanceof EscrowException e) {
            throw rejected("approval_rejected", caller, warrantId, e);
        }
        count("escrow.warrant.approvals");
        return get(warrantId);
    }

    public Warrant revoke(String caller, String warrantId, byte[] cms) {
        VerifiedSignature sig = authoritySignature(caller, warrantId, cms, "revocation_rejected",
                w -> SignedBytes.revocation(warrantId));
        Instant now = clock.instant();
        Object outcome = db.inTransaction("revoking warrant " + warrantId, c -> {
            long index = AuditAppender.lockHead(c);
            Warrant locked = WarrantStore.find(c, warrantId, true).orElseThrow();
            if (locked.recorded() == Warrant.Recorded.REVOKED) {
                return new WarrantNotActiveException("warrant " + warrantId + " is already REVOKED");
            }
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("warrant_id", warrantId);
            f.put("authority", sig.name());
            f.put("signer", sig.signer());
            f.put("signing_time", sig.signingTime().getEpochSecond());
            f.put("cms_sha256", sha256(cms));
            f.put("previous_state", locked.state(now, policy).name());
            AuditAppender.append(c, index, List.of(AuditEntry.of("warrant_revoked", now, caller, f)));
            WarrantStore.record(c, warrantId, Warrant.Recorded.REVOKED);
            return null;
        });
        if (outcome instanceof EscrowException e) {
            throw rejected("revocation_rejected", caller, warrantId, e);
        }
        count("escrow.warrants.revoked");
        return get(warrantId);
    }

    /** Records every warrant whose not_after has passed as EXPIRED, each with a leaf; returns how many. */
    public int expireDue() {
        Instant now = clock.instant();
        boolean any = db.inTransaction("checking warrant expiry", c -> WarrantStore.anyDueForExpiry(c, now));
        if (!any) {
            return 0;
        }
        return db.inTransaction("expiring warrants", c -> {
            long index = AuditAppender.lockHead(c);
            List<String> due = WarrantStore.lockDueForExpiry(c, now);
            List<AuditEntry> leaves = new java.util.ArrayList<>();
            for (String id : due) {
                WarrantStore.record(c, id, Warrant.Recorded.EXPIRED);
                leaves.add(AuditEntry.of("warrant_expired", now, "escrow-service", Map.of("warrant_id", id)));
            }
            AuditAppender.append(c, index, leaves);
            return due.size();
        });
    }

    /**
     * Records a refused request and returns the error to throw: every rejection is on the record
     * before the caller learns of it. Concurrent refusals of one kind by one caller share a leaf
     * with a count ({@link io.escrow.audit.RefusalRecorder}).
     */
    public EscrowException rejected(String type, String caller, String warrantId, EscrowException error) {
        Map<String, Object> f = new LinkedHashMap<>();
        if (warrantId != null) {
            f.put("warrant_id", warrantId);
        }
        f.put("status", error.category().name());
        f.put("reason", error.getMessage());
        refusals.record(type, caller, f);
        String reason = error instanceof InvalidArgumentException ia ? ia.field() : error.category().name().toLowerCase();
        Counter.builder("escrow.warrant.rejections").description("Warrant requests refused, by action and reason")
                .tag("action", type).tag("reason", reason).register(meters).increment();
        return error;
    }

    private void count(String name) {
        meters.counter(name).increment();
    }

    /** Ids are ours; anything else cannot exist and is rejected before touching the database. */
    private static void requireId(String warrantId) {
        if (warrantId == null || warrantId.isEmpty()) {
            throw new InvalidArgumentException("warrant_id", "is required");
        }
        if (!WARRANT_ID.matcher(warrantId).matches()) {
            throw new WarrantNotFoundException(warrantId.length() > 64 ? warrantId.substring(0, 64) + "..." : warrantId);
        }
    }

    private byte[] subjectHashes(List<String> ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 * ids.size());
        ids.forEach(s -> out.writeBytes(subjects.hash(s)));
        return out.toByteArray();
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
