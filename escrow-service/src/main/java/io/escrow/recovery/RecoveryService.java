package io.escrow.recovery;

import io.escrow.audit.AuditAppender;
import io.escrow.audit.AuditEntry;
import io.escrow.audit.AuditWriter;
import io.escrow.error.EscrowException;
import io.escrow.hpke.ContractLabels;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.keys.KeyRegistry;
import io.escrow.storage.Database;
import io.escrow.threshold.CiphertextRejectedException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

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
    private final CustodianAccess custodians;
    private final Hpke hpke = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);
    private final SecureRandom rng = new SecureRandom();
    private final MeterRegistry meters;
    private final Timer perRecord;
    private final AuditWriter audit;
    private final ExecutorService committer = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "recovery-commit");
        t.setDaemon(true);
        return t;
    });
    /** Re-sealing to recipients: host EC work that runs beside the token work of the recovery threads. */
    private final ExecutorService sealer = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "recovery-seal");
        t.setDaemon(true);
        return t;
    });

    public RecoveryService(Database db, WarrantService warrants, KeyRegistry keys, ThresholdDecryptor decryptor,
                           CustodianAccess custodians, java.time.Clock clock, MeterRegistry meters) {
        this.db = db;
        this.warrants = warrants;
        this.keys = keys;
        this.decryptor = decryptor;
        this.custodians = custodians;
        this.meters = meters;
        this.audit = new AuditWriter(db, clock);
        this.perRecord = Timer.builder("escrow.recovery.record.latency")
                .description("Threshold opening of one record in the custodian tokens").register(meters);
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
            List<String> lacking = custodians.missing(warrantId);
            if (!lacking.isEmpty()) {
                throw new WarrantNotActiveException("cannot recover: too few custodians have activated their share for warrant "
                        + warrantId + "; lacking activations from " + String.join(", ", lacking));
            }
        } catch (EscrowException e) {
            throw warrants.rejected("recovery_refused", caller, warrantId, e);
        }
        audit(caller, "recovery_started", Map.of("warrant_id", warrantId, "only_new", onlyNew));
        Tally tally = new Tally();
        String outcome = "complete";
        long cursor = -1;
        Hpke.Recipient recipient = new Hpke.Recipient(w.spec().recipientPublicKey());
        // Page n+1 is opened in the tokens while page n commits and is sent: the database round
        // trip and fsync then cost no token time. Commits stay in page order.
        CompletableFuture<Void> inFlight = CompletableFuture.completedFuture(null);
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
                List<CompletableFuture<Prepared>> sealing = new ArrayList<>();
                List<Failed> failures = new ArrayList<>();
                for (InScopeRecord r : page) {
                    open(warrantId, w.spec(), recipient, r, sealing, failures);
                }
                List<Prepared> prepared = new ArrayList<>(sealing.size());
                for (CompletableFuture<Prepared> f : sealing) {
                    prepared.add(awaitValue(f));
                }
                await(inFlight);
                if (tally.stopped != null || tally.exhausted) {
                    break;
                }
                inFlight = CompletableFuture.runAsync(() -> {
                    PageOutcome p = db.inTransaction("releasing records under warrant " + warrantId,
                            c -> commit(c, caller, warrantId, onlyNew, prepared, failures));
                    p.keys().forEach(sink::send);
                    tally.add(p, failures);
                }, committer);
            }
            await(inFlight);
            if (tally.stopped != null) {
                outcome = tally.stopped;
                throw new WarrantNotActiveException("recovery stopped: " + tally.stopped);
            }
            if (tally.exhausted) {
                outcome = "warrant exhausted";
            }
        } catch (InterruptedException | RuntimeException e) {
            if ("complete".equals(outcome)) {
                outcome = "failed: " + e.getMessage();
            }
            end(caller, warrantId, tally, outcome);
            throw e;
        }
        end(caller, warrantId, tally, outcome);
        return new RecoveryReport(warrantId, tally.released, tally.resent, tally.failed, tally.failedRecords, outcome);
    }

    /** Totals of the committed pages; written by the committer, read after joining it. */
    private static final class Tally {
        int released;
        int resent;
        int failed;
        final List<RecoveryReport.FailedRecord> failedRecords = new ArrayList<>();
        String stopped;
        boolean exhausted;

        void add(PageOutcome p, List<Failed> failures) {
            released += p.released();
            resent += p.resent();
            failed += failures.size();
            for (Failed f : failures) {
                if (failedRecords.size() < RecoveryReport.MAX_LISTED) {
                    failedRecords.add(new RecoveryReport.FailedRecord(f.record().recordId().toString(), f.reason()));
                }
            }
            stopped = p.stopped();
            exhausted = p.exhausted();
        }
    }

    /** Waits for the previous page's commit; its failure becomes this recovery's. */
    private static void await(CompletableFuture<Void> f) throws InterruptedException {
        awaitValue(f);
    }

    private static <T> T awaitValue(CompletableFuture<T> f) throws InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Opens one record in the tokens and queues its re-sealing on {@link #sealer}, so that the
     * host's two scalar multiplications for the seal overlap the next record's token ECDHs. A
     * record that does not open goes to {@code failures}. The plaintext is wiped once sealed.
     */
    private void open(String warrantId, WarrantSpec spec, Hpke.Recipient recipient, InScopeRecord r,
                      List<CompletableFuture<Prepared>> sealing, List<Failed> failures) {
        if (!spec.covers(r.subjectId(), r.coversFrom(), r.coversUntil())) {
            throw new IllegalStateException("record " + r.recordId() + " is outside warrant " + warrantId);
        }
        long start = System.nanoTime();
        byte[] info = ContractLabels.depositInfo(r.keyId());
        byte[] aad = ContractLabels.depositAad(r.subjectId(), r.coversFrom(), r.coversUntil());
        ThresholdDecryptor.Opening opening;
        try {
            opening = decryptor.open(keys.require(r.keyId()), custodians.tokensFor(warrantId), r.enc(), info, aad, r.ciphertext());
        } catch (CiphertextRejectedException e) {
            failures.add(new Failed(r, e.getMessage()));
            return;
        }
        perRecord.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        custodians.used(warrantId, opening.custodiansUsed());
        sealing.add(CompletableFuture.supplyAsync(() -> {
            byte[] plaintext = opening.plaintext();
            try {
                Hpke.Sealed sealed = hpke.seal(recipient, ContractLabels.recoveryInfo(warrantId),
                        ContractLabels.recoveryAad(r.recordId().toString()), plaintext, rng);
                return new Prepared(r, sealed.enc(), sealed.ciphertext(), opening.custodiansUsed());
            } finally {
                Arrays.fill(plaintext, (byte) 0);
            }
        }, sealer));
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

    private void end(String caller, String warrantId, Tally tally, String outcome) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("warrant_id", warrantId);
        f.put("released", tally.released);
        f.put("resent", tally.resent);
        f.put("failed", tally.failed);
        f.put("outcome", outcome);
        audit(caller, "recovery_ended", f);
    }

    private void audit(String caller, String type, Map<String, ?> fields) {
        audit.append(type, caller, fields);
    }
}
