package io.escrow.recovery;

import io.escrow.audit.AuditAppender;
import io.escrow.audit.AuditEntry;
import io.escrow.audit.AuditWriter;
import io.escrow.error.EscrowException;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.keys.KeyRegistry;
import io.escrow.storage.Database;
import io.escrow.threshold.CiphertextRejectedException;
import io.escrow.threshold.ShareToken;
import io.escrow.threshold.ThresholdDecryptor;
import io.escrow.error.AccessDeniedException;
import io.escrow.warrant.Warrant;
import io.escrow.warrant.WarrantNotActiveException;
import io.escrow.warrant.WarrantService;
import io.escrow.warrant.WarrantSpec;
import io.escrow.warrant.WarrantState;
import io.escrow.warrant.WarrantStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Threshold recovery under an ACTIVE warrant, in pages:
 *
 * <ol>
 *   <li>read the next in-scope deposits (subject named, covers window overlapping);</li>
 *   <li>open each with the custodians' tokens, re-seal its session key to the warrant's recipient
 *       (contract §1) and wipe the plaintext;</li>
 *   <li>in one transaction, lock the warrant, re-check that it is still ACTIVE (so a revocation
 *       stops a running recovery at the next page), count new releases against max_records, and
 *       commit a {@code release} leaf per record (EXHAUSTED when the cap is reached);</li>
 *   <li>only then send the sealed keys.</li>
 * </ol>
 *
 * A record is counted once per warrant, however often it is sent: a resumed stream sends earlier
 * releases again (leaf {@code re-release}) without touching the cap, or skips them with onlyNew.
 */
public final class RecoveryService {
    public static final int PAGE = 64;

    private final Database db;
    private final WarrantService warrants;
    private final KeyRegistry keys;
    private final ThresholdDecryptor decryptor;
    private final Supplier<List<ShareToken>> tokens;
    private final Hpke hpke = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);
    private final SecureRandom rng = new SecureRandom();
    private final MeterRegistry meters;
    private final Timer perRecord;
    private final AuditWriter audit;

    public RecoveryService(Database db, WarrantService warrants, KeyRegistry keys, ThresholdDecryptor decryptor,
                           Supplier<List<ShareToken>> tokens, java.time.Clock clock, MeterRegistry meters) {
        this.db = db;
        this.warrants = warrants;
        this.keys = keys;
        this.decryptor = decryptor;
        this.tokens = tokens;
        this.meters = meters;
        this.audit = new AuditWriter(db, clock);
        this.perRecord = Timer.builder("escrow.recovery.record.latency")
                .description("Threshold opening and re-sealing of one record").register(meters);
    }

    private record Prepared(InScopeRecord record, byte[] enc, byte[] sealed, List<String> custodians) {}

    private record Failed(InScopeRecord record, String reason) {}

    private record PageOutcome(List<RecoveredKey> keys, int released, int resent, boolean exhausted, String stopped) {}

    public RecoveryReport recover(String caller, String warrantId, boolean onlyNew, RecoverySink sink) throws InterruptedException {
        Warrant w;
        try {
            w = warrants.get(warrantId);
            if (!w.filedBy().equals(caller)) {
                throw new AccessDeniedException("warrant " + warrantId + " was filed by " + w.filedBy()
                        + "; only that agency may recover under it");
            }
            if (warrants.state(w) != WarrantState.ACTIVE) {
                throw new WarrantNotActiveException("cannot recover: " + w.whyNotActive(warrants.now(), warrants.policy()));
            }
        } catch (EscrowException e) {
            throw warrants.rejected("recovery_refused", caller, warrantId, e);
        }
        audit(caller, "recovery_started", Map.of("warrant_id", warrantId, "only_new", onlyNew));
        int released = 0;
        int resent = 0;
        int failed = 0;
        String outcome = "complete";
        long cursor = -1;
        try {
            while (true) {
                if (!sink.awaitReady()) {
                    outcome = "cancelled by the client";
                    break;
                }
                long after = cursor;
                List<InScopeRecord> page = db.inTransaction("reading records for warrant " + warrantId,
                        c -> ReleaseStore.page(c, warrantId, w.spec(), after, onlyNew, PAGE));
                if (page.isEmpty()) {
                    break;
                }
                cursor = page.get(page.size() - 1).depositIndex();
                List<Prepared> prepared = new ArrayList<>();
                List<Failed> failures = new ArrayList<>();
                for (InScopeRecord r : page) {
                    open(warrantId, w.spec(), r, prepared, failures);
                }
                failed += failures.size();
                PageOutcome p = db.inTransaction("releasing records under warrant " + warrantId,
                        c -> commit(c, caller, warrantId, onlyNew, prepared, failures));
                for (RecoveredKey k : p.keys()) {
                    sink.send(k);
                }
                released += p.released();
                resent += p.resent();
                if (p.stopped() != null) {
                    outcome = p.stopped();
                    throw new WarrantNotActiveException("recovery stopped: " + p.stopped());
                }
                if (p.exhausted()) {
                    outcome = "warrant exhausted";
                    break;
                }
            }
        } catch (InterruptedException | RuntimeException e) {
            if ("complete".equals(outcome)) {
                outcome = "failed: " + e.getMessage();
            }
            end(caller, warrantId, released, resent, failed, outcome);
            throw e;
        }
        end(caller, warrantId, released, resent, failed, outcome);
        return new RecoveryReport(warrantId, released, resent, failed, outcome);
    }

    /** Opens one record into {@code prepared}, or notes why it cannot be opened. Never keeps the plaintext. */
    private void open(String warrantId, WarrantSpec spec, InScopeRecord r, List<Prepared> prepared, List<Failed> failures) {
        if (!spec.covers(r.subjectId(), r.coversFrom(), r.coversUntil())) {
            throw new IllegalStateException("record " + r.recordId() + " is outside warrant " + warrantId);
        }
        long start = System.nanoTime();
        byte[] info = ("escrow/v1/deposit/" + r.keyId()).getBytes(StandardCharsets.UTF_8);
        byte[] aad = (r.subjectId() + "\n" + r.coversFrom() + "\n" + r.coversUntil()).getBytes(StandardCharsets.UTF_8);
        ThresholdDecryptor.Opening opening;
        try {
            opening = decryptor.open(keys.require(r.keyId()), tokens.get(), r.enc(), info, aad, r.ciphertext());
        } catch (CiphertextRejectedException e) {
            failures.add(new Failed(r, e.getMessage()));
            return;
        }
        byte[] plaintext = opening.plaintext();
        try {
            Hpke.Sealed sealed = hpke.seal(spec.recipientPublicKey(),
                    ("escrow/v1/recovery/" + warrantId).getBytes(StandardCharsets.UTF_8),
                    r.recordId().toString().getBytes(StandardCharsets.UTF_8), plaintext, rng);
            prepared.add(new Prepared(r, sealed.enc(), sealed.ciphertext(), opening.custodiansUsed()));
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
        perRecord.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private PageOutcome commit(Connection c, String caller, String warrantId, boolean onlyNew, List<Prepared> prepared,
                               List<Failed> failures) throws SQLException {
        long index = AuditAppender.lockHead(c);
        Instant now = warrants.now();
        Warrant locked = WarrantStore.find(c, warrantId, true).orElseThrow();
        if (locked.state(now, warrants.policy()) != WarrantState.ACTIVE) {
            return new PageOutcome(List.of(), 0, 0, false, locked.whyNotActive(now, warrants.policy()));
        }
        Set<UUID> already = ReleaseStore.released(c, warrantId, prepared.stream().map(p -> p.record().recordId()).toList());
        int remaining = locked.spec().maxRecords() - locked.recordsReleased();
        List<AuditEntry> leaves = new ArrayList<>();
        List<RecoveredKey> keysOut = new ArrayList<>();
        List<UUID> newIds = new ArrayList<>();
        List<Long> newIndexes = new ArrayList<>();
        int resent = 0;
        for (Prepared p : prepared) {
            boolean repeat = already.contains(p.record().recordId());
            if ((!repeat && remaining == 0) || (repeat && onlyNew)) {
                continue;
            }
            long idx = index + leaves.size();
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("warrant_id", warrantId);
            f.put("record_id", p.record().recordId().toString());
            f.put("key_id", p.record().keyId());
            f.put("custodians", String.join(",", p.custodians()));
            leaves.add(AuditEntry.of(repeat ? "re-release" : "release", now, caller, f));
            if (repeat) {
                resent++;
            } else {
                newIds.add(p.record().recordId());
                newIndexes.add(idx);
                remaining--;
            }
            InScopeRecord r = p.record();
            keysOut.add(new RecoveredKey(r.recordId(), r.subjectId(), r.coversFrom(), r.coversUntil(), p.enc(), p.sealed(), idx));
        }
        for (Failed f : failures) {
            leaves.add(AuditEntry.of("release_failed", now, caller, Map.of("warrant_id", warrantId,
                    "record_id", f.record().recordId().toString(), "reason", f.reason())));
        }
        boolean exhausted = remaining == 0;
        if (exhausted) {
            leaves.add(AuditEntry.of("warrant_exhausted", now, caller,
                    Map.of("warrant_id", warrantId, "max_records", locked.spec().maxRecords())));
            WarrantStore.record(c, warrantId, Warrant.Recorded.EXHAUSTED);
        }
        AuditAppender.append(c, index, leaves);
        ReleaseStore.insert(c, warrantId, newIds, newIndexes, now);
        Counter.builder("escrow.recovery.records").description("Records sent to recipients, first releases and repeats")
                .tag("kind", "release").register(meters).increment(newIds.size());
        Counter.builder("escrow.recovery.records").tag("kind", "re-release").register(meters).increment(resent);
        return new PageOutcome(keysOut, newIds.size(), resent, exhausted, null);
    }

    private void end(String caller, String warrantId, int released, int resent, int failed, String outcome) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("warrant_id", warrantId);
        f.put("released", released);
        f.put("resent", resent);
        f.put("failed", failed);
        f.put("outcome", outcome);
        audit(caller, "recovery_ended", f);
    }

    private void audit(String caller, String type, Map<String, ?> fields) {
        audit.append(type, caller, fields);
    }
}
