package io.escrow.recovery;

import io.escrow.audit.AuditWriter;
import io.escrow.error.EscrowException;
import io.escrow.hpke.Hpke;
import io.escrow.keys.KeyRegistry;
import io.escrow.storage.Database;
import io.escrow.threshold.InsufficientCustodiansException;
import io.escrow.threshold.ThresholdDecryptor;
import io.escrow.error.AccessDeniedException;
import io.escrow.warrant.Warrant;
import io.escrow.warrant.WarrantNotActiveException;
import io.escrow.warrant.WarrantService;
import io.escrow.warrant.WarrantState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Threshold recovery under an ACTIVE warrant, in pages:
 *
 * <ol>
 *   <li>read the next in-scope deposits (subject named, covers window overlapping);</li>
 *   <li>reserve t custodians whose consents have uses left for them ({@link CustodianAccess});</li>
 *   <li>in one transaction, lock the warrant, re-check that it is still ACTIVE (so a revocation
 *       stops a running recovery at the next page), count new releases against max_records, and
 *       commit a {@code release} leaf per record naming those custodians (EXHAUSTED when the cap
 *       is reached). Records past the cap are dropped here, before any token works on them;</li>
 *   <li>only then open each released record in those custodians' tokens, re-seal its session
 *       key to the warrant's recipient (contract §1), wipe the plaintext, and send it.</li>
 * </ol>
 *
 * So the cap bounds decryption, not only release, and a custodian's use is charged only for a
 * record whose release is in the log. A record is counted once per warrant, however often it is
 * sent: a resumed stream sends earlier releases again (leaf {@code re-release}) without touching
 * the cap, or skips them with onlyNew. A released record that does not open gets a
 * {@code release_failed} leaf; it still counts, since the custodians worked on it.
 */
public final class RecoveryService {
    /**
     * Records per page. Each page costs a release transaction (and, with agents, every agent one
     * round trip, a checkpoint signature check and a forced journal write), and a page's records
     * are opened several at once; 256 records amortise the fixed costs and keep every token
     * session busy (measured with escrowctl bench --agents: 64 → about 1,080 records/s, 256 →
     * about 1,430/s; in-service tokens with escrowctl load: 64 → 1,366/s, 256 → 1,502/s).
     */
    public static final int PAGE = 256;

    private final Database db;
    private final WarrantService warrants;
    private final KeyRegistry keys;
    private final ThresholdDecryptor decryptor;
    private final CustodianAccess custodians;
    private final PagePreparer pages;
    private final PageOpener opener;
    private final MeterRegistry meters;
    private final AuditWriter audit;
    private final io.escrow.keys.RetiredKeys retired;
    private final ExecutorService sender = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "recovery-send");
        t.setDaemon(true);
        return t;
    });
    /** Prepares the next page (read, reserve, commit, partials) while the current one is opened. */
    private final ExecutorService preparer = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "recovery-prepare");
        t.setDaemon(true);
        return t;
    });

    public RecoveryService(Database db, WarrantService warrants, KeyRegistry keys, ThresholdDecryptor decryptor,
                           CustodianAccess custodians, io.escrow.audit.SubjectHasher subjects, io.escrow.audit.AuditTree tree,
                           io.escrow.audit.AuditReader log, io.escrow.audit.WitnessQuorum quorum, java.time.Clock clock,
                           MeterRegistry meters, io.escrow.keys.RetiredKeys retired, int parallelRecords) {
        this.retired = retired;
        this.db = db;
        this.warrants = warrants;
        this.keys = keys;
        this.decryptor = decryptor;
        this.custodians = custodians;
        this.pages = new PagePreparer(db, warrants, keys, custodians, subjects, tree, log, quorum, PAGE);
        this.meters = meters;
        this.audit = new AuditWriter(db, clock);
        this.opener = new PageOpener(new RecordOpener(decryptor, keys, custodians, meters), parallelRecords);
    }

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
            // From here on only what the authorities' signatures still vouch for is used.
            w = warrants.requireIntact(caller, warrantId);
            List<String> lacking = custodians.missing(warrantId);
            if (!lacking.isEmpty()) {
                throw new WarrantNotActiveException("cannot recover: too few custodians have activated their share for warrant "
                        + warrantId + "; lacking activations from " + String.join(", ", lacking));
            }
        } catch (EscrowException e) {
            throw warrants.rejected("recovery_refused", caller, warrantId, e);
        }
        Warrant verified = w;
        audit(caller, "recovery_started", Map.of("warrant_id", warrantId, "only_new", onlyNew));
        Tally tally = new Tally();
        String outcome = "complete";
        long cursor = -1;
        Hpke.Recipient recipient = new Hpke.Recipient(verified.spec().recipientPublicKey());
        // Page n is sealed and sent while page n+1 is opened. With custodians that count their
        // uses when asked for partials (agents), page n+1 is also read, committed and its partials
        // fetched while page n is opened, which hides the agents' round trips. Pages are committed,
        // opened and sent in order.
        CompletableFuture<Void> sending = CompletableFuture.completedFuture(null);
        CompletableFuture<PagePreparer.Step> ahead = null;
        try {
            while (true) {
                if (!sink.awaitReady()) {
                    outcome = "cancelled by the client";
                    break;
                }
                long after = cursor;
                PagePreparer.Step step = ahead != null ? awaitValue(ahead) : pages.prepare(caller, warrantId, onlyNew, verified, after);
                ahead = null;
                try {
                    if (step.page().isEmpty()) {
                        break;
                    }
                    if (step.reserved().records() == 0) {
                        await(sending);
                        throw new WarrantNotActiveException("recovery stopped: fewer than " + step.threshold() + " custodians hold "
                                + "an activation with uses left for warrant " + warrantId + "; custodians must activate again");
                    }
                    ReleaseLedger.Committed committed = step.committed();
                    if (committed.stopped() != null) {
                        await(sending);
                        tally.stopped = committed.stopped();
                        break;
                    }
                    cursor = step.cursor();
                    if (!committed.exhausted() && custodians.prepareAhead()) {
                        long next = cursor;
                        ahead = CompletableFuture.supplyAsync(() -> pages.prepare(caller, warrantId, onlyNew, verified, next), preparer);
                    }
                    List<RecordOpener.Opened> opened = opener.open(warrantId, verified.spec(), recipient, committed.releases(),
                            step.reserved());
                    InsufficientCustodiansException unavailable = opened.stream().map(RecordOpener.Opened::unavailable)
                            .filter(java.util.Objects::nonNull).findFirst().orElse(null);
                    await(sending);
                    sending = CompletableFuture.runAsync(() -> deliver(caller, warrantId, opened, sink, tally), sender);
                    if (committed.exhausted()) {
                        tally.exhausted = true;
                        break;
                    }
                    if (unavailable != null) {
                        // The reserved custodians could not all answer (a token failed, or a consent
                        // ended meanwhile). Their records are released, so a later Recover sends them.
                        await(sending);
                        throw unavailable;
                    }
                } finally {
                    custodians.finished(step.reserved());
                }
            }
            settle(ahead);
            await(sending);
            if (tally.stopped != null) {
                outcome = tally.stopped;
                throw new WarrantNotActiveException("recovery stopped: " + tally.stopped);
            }
            if (tally.exhausted) {
                outcome = "warrant exhausted";
            }
        } catch (InterruptedException | RuntimeException e) {
            // The page being sent finishes first, so no key follows the error on the stream, and
            // a page being prepared ahead finishes before the recovery's end is logged.
            settle(ahead);
            try {
                await(sending);
            } catch (InterruptedException | RuntimeException inFlight) {
                if (inFlight != e) {
                    e.addSuppressed(inFlight);
                }
            }
            if ("complete".equals(outcome)) {
                outcome = "failed: " + e.getMessage();
            }
            end(caller, warrantId, tally, outcome, List.of());
            throw e;
        }
        List<String> gone = retiredKeys();
        end(caller, warrantId, tally, outcome, gone);
        return new RecoveryReport(warrantId, tally.released, tally.resent, tally.failed, tally.failedRecords, outcome, gone);
    }

    /** Waits for a page prepared ahead, whatever its outcome: what it committed is re-sent by the next Recover. */
    private void settle(CompletableFuture<PagePreparer.Step> f) {
        if (f != null) {
            try {
                custodians.finished(f.join().reserved());
            } catch (RuntimeException ignored) {
                // Its failure was not this recovery's: nothing of that page was opened or sent.
            }
        }
    }

    /** Totals of the delivered pages; written by the sender, read after joining it. */
    private static final class Tally {
        int released;
        int resent;
        int failed;
        final List<RecoveryReport.FailedRecord> failedRecords = new ArrayList<>();
        String stopped;
        boolean exhausted;
    }

    /**
     * Audits the page's failures, then sends its keys in page order. Runs on {@link #sender},
     * one page at a time.
     */
    private void deliver(String caller, String warrantId, List<RecordOpener.Opened> page, RecoverySink sink, Tally tally) {
        List<ReleaseLedger.Failure> failures = new ArrayList<>();
        List<RecoveredKey> out = new ArrayList<>(page.size());
        int released = 0;
        int resent = 0;
        for (RecordOpener.Opened o : page) {
            if (o.failure() != null) {
                failures.add(new ReleaseLedger.Failure(o.release(), o.failure()));
                continue;
            }
            out.add(o.key().join());
            if (o.release().repeat()) {
                resent++;
            } else {
                released++;
            }
        }
        db.inTransaction("auditing records that did not open under warrant " + warrantId,
                c -> {
                    ReleaseLedger.commitFailures(c, caller, warrantId, failures, warrants.now());
                    return null;
                });
        out.forEach(sink::send);
        tally.released += released;
        tally.resent += resent;
        tally.failed += failures.size();
        for (ReleaseLedger.Failure f : failures) {
            if (tally.failedRecords.size() < RecoveryReport.MAX_LISTED) {
                tally.failedRecords.add(new RecoveryReport.FailedRecord(f.release().record().recordId().toString(), f.reason()));
            }
        }
        Counter.builder("escrow.recovery.records").description("Records sent to recipients, first releases and repeats")
                .tag("kind", "release").register(meters).increment(released);
        Counter.builder("escrow.recovery.records").tag("kind", "re-release").register(meters).increment(resent);
    }

    /** Waits for the previous page's delivery; its failure becomes this recovery's. */
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
     * Every retired key: covers windows are the provider's to state and are not tied to when a
     * deposit was made, so any retired key may have held deposits in the warrant's scope, and
     * only its (dropped) deposits could have said which.
     */
    private List<String> retiredKeys() {
        return retired.all().stream().map(io.escrow.keys.RetiredKeys.Retirement::keyId).toList();
    }

    private void end(String caller, String warrantId, Tally tally, String outcome, List<String> retiredKeys) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("warrant_id", warrantId);
        f.put("released", tally.released);
        f.put("resent", tally.resent);
        f.put("failed", tally.failed);
        f.put("outcome", outcome);
        if (!retiredKeys.isEmpty()) {
            f.put("retired_keys", String.join(",", retiredKeys));
        }
        audit(caller, "recovery_ended", f);
    }

    private void audit(String caller, String type, Map<String, ?> fields) {
        audit.append(type, caller, fields);
    }
}
