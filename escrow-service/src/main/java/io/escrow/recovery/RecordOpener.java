package io.escrow.recovery;

import io.escrow.hpke.ContractLabels;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.keys.KeyRegistry;
import io.escrow.threshold.CiphertextRejectedException;
import io.escrow.threshold.InsufficientCustodiansException;
import io.escrow.threshold.ThresholdDecryptor;
import io.escrow.warrant.WarrantSpec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Opens released records with the reserved custodians and re-seals each session key to the warrant's recipient. */
final class RecordOpener {
    private final ThresholdDecryptor decryptor;
    private final KeyRegistry keys;
    private final CustodianAccess custodians;
    private final Hpke hpke = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);
    private final SecureRandom rng = new SecureRandom();
    private final Timer perRecord;
    /** Re-sealing to recipients: host EC work that runs beside the token work of the recovery threads. */
    private final ExecutorService sealer = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "recovery-seal");
        t.setDaemon(true);
        return t;
    });

    RecordOpener(ThresholdDecryptor decryptor, KeyRegistry keys, CustodianAccess custodians, MeterRegistry meters) {
        this.decryptor = decryptor;
        this.keys = keys;
        this.custodians = custodians;
        this.perRecord = Timer.builder("escrow.recovery.record.latency")
                .description("Threshold opening of one record in the custodian tokens").register(meters);
    }

    /** A released record on its way out: its sealed key, or why it could not be opened. */
    record Opened(ReleaseLedger.Release release, CompletableFuture<RecoveredKey> key, String failure,
                  InsufficientCustodiansException unavailable) {}

    /**
     * Opens one released record in the reserved tokens and queues its re-sealing on
     * {@link #sealer}, so that the host's two scalar multiplications for the seal overlap the next
     * record's token ECDHs. The plaintext is wiped once sealed.
     */
    Opened open(String warrantId, WarrantSpec spec, Hpke.Recipient recipient, ReleaseLedger.Release release,
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
}
