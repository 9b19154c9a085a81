package io.escrow.recovery;

import io.escrow.agent.PartialRequest;
import io.escrow.audit.AuditWriter;
import io.escrow.error.EscrowException;
import io.escrow.hpke.ContractLabels;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.keys.KeyRegistry;
import io.escrow.storage.Database;
import io.escrow.threshold.CiphertextRejectedException;
import io.escrow.threshold.InsufficientCustodiansException;
import io.escrow.threshold.ThresholdDecryptor;
import io.escrow.error.AccessDeniedException;
import io.escrow.warrant.Warrant;
import io.escrow.warrant.WarrantNotActiveException;
import io.escrow.warrant.WarrantService;
import io.escrow.warrant.WarrantSpec;
import io.escrow.warrant.WarrantState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
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
    private final ExecutorService sender = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "recovery-send");
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

    /** A released record on its way out: its sealed key, or why it could not be opened. */
    private record Opened(ReleaseLedger.Release release, CompletableFuture<RecoveredKey> key, String failure,
                          InsufficientCustodiansException unavailable) {}

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
        // Page n is sealed and sent while page n+1 is read, committed and opened in the tokens:
        // sending then costs no token time. Pages are committed and sent in order.
        CompletableFuture<Void> sending = CompletableFuture.completedFuture(null);
        try {
            while (true) {
                if (!sink.awaitReady()) {
                    outcome = "cancelled by the client";
                    break;
                }
                long after = cursor;
                List<InScopeRecord> page = db.inTransaction("reading records for warrant " + warrantId,
                        c -> ReleaseStore.page(c, warrantId, verified.spec(), after, onlyNew, PAGE));
                if (page.isEmpty()) {
                    break;
                }
                int threshold = page.stream().mapToInt(r -> keys.require(r.keyId()).threshold()).max().orElseThrow();
                CustodianAccess.Reservation reserved = custodians.reserve(warrantId, threshold, page.size());
                if (reserved.records() == 0) {
                    await(sending);
                    throw new WarrantNotActiveException("recovery stopped: fewer than " + threshold + " custodians hold an "
                            + "activation with uses left for warrant " + warrantId + "; custodians must activate again");
                }
                List<InScopeRecord> batch = page.subList(0, reserved.records());
                cursor = batch.get(batch.size() - 1).depositIndex();
                ReleaseLedger.Committed committed = db.inTransaction("releasing records under warrant " + warrantId,
                        c -> ReleaseLedger.commitReleases(c, caller, warrantId, onlyNew, batch, reserved.custodianIds(),
                                verified.signedBytes(), warrants.now(), warrants.policy()));
                if (committed.stopped() != null) {
                    await(sending);
                    tally.stopped = committed.stopped();
                    break;
                }
                custodians.prepare(reserved, warrantId, committed.releases().stream().map(r -> new PartialRequest(
                        r.record().recordId().toString(), r.record().subjectId(), r.record().keyId(), r.record().coversFrom(),
                        r.record().coversUntil(), r.record().enc())).toList());
                List<Opened> opened = new ArrayList<>(committed.releases().size());
                InsufficientCustodiansException unavailable = null;
                for (ReleaseLedger.Release r : committed.releases()) {
                    // Once the reserved custodians cannot all answer, the rest of the page is not tried.
                    Opened o = unavailable == null ? open(warrantId, verified.spec(), recipient, r, reserved)
                            : new Opened(r, null, unavailable.getMessage(), unavailable);
                    unavailable = o.unavailable();
                    opened.add(o);
                }
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
            }
            await(sending);
            if (tally.stopped != null) {
                outcome = tally.stopped;
                throw new WarrantNotActiveException("recovery stopped: " + tally.stopped);
            }
            if (tally.exhausted) {
                outcome = "warrant exhausted";
            }
        } catch (InterruptedException | RuntimeException e) {
            // The page being sent finishes first, so no key follows the error on the stream.
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
            end(caller, warrantId, tally, outcome);
            throw e;
        }
        end(caller, warrantId, tally, outcome);
        return new RecoveryReport(warrantId, tally.released, tally.resent, tally.failed, tally.failedRecords, outcome);
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
    private void deliver(String caller, String warrantId, List<Opened> page, RecoverySink sink, Tally tally) {
        List<ReleaseLedger.Failure> failures = new ArrayList<>();
        List<RecoveredKey> out = new ArrayList<>(page.size());
        int released = 0;
        int resent = 0;
        for (Opened o : page) {
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
        try {
            f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Opens one released record in the reserved tokens and queues its re-sealing on
     * {@link #sealer}, so that the host's two scalar multiplications for the seal overlap the next
     * record's token ECDHs. The plaintext is wiped once sealed.
     */
    private Opened open(String warrantId, WarrantSpec spec, Hpke.Recipient recipient, ReleaseLedger.Release release,
                        CustodianAccess.Reservation reserved) {
        InScopeRecord r = release.record();
        if (!spec.covers(r.subjectId(), r.coversFrom(), r.coversUntil())) {
            throw new IllegalStateException("record " + r.recordId() + " is outside warrant " + warrantId);
        }
        long start = System.nanoTime();
        byte[] info = ContractLabels.depositInfo(r.keyId());
        byte[] aad = ContractLabels.depositAad(r.subjectId(), r.coversFrom(), r.coversUntil());
        ThresholdDecryptor.Opening opening;
        try {
            opening = decryptor.open(keys.require(r.keyId()), reserved.tokens(), r.enc(), info, aad, r.ciphertext());
        } catch (CiphertextRejectedException e) {
            return new Opened(release, null, e.getMessage(), null);
        } catch (InsufficientCustodiansException e) {
            return new Opened(release, null, e.getMessage(), e);
        }
        perRecord.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        custodians.used(warrantId, opening.custodiansUsed());
        long auditIndex = release.auditIndex();
        return new Opened(release, CompletableFuture.supplyAsync(() -> {
            byte[] plaintext = opening.plaintext();
            try {
                Hpke.Sealed sealed = hpke.seal(recipient, ContractLabels.recoveryInfo(warrantId),
                        ContractLabels.recoveryAad(r.recordId().toString()), plaintext, rng);
                return new RecoveredKey(r.recordId(), r.subjectId(), r.coversFrom(), r.coversUntil(), sealed.enc(),
                        sealed.ciphertext(), auditIndex);
            } finally {
                Arrays.fill(plaintext, (byte) 0);
            }
        }, sealer), null, null);
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
