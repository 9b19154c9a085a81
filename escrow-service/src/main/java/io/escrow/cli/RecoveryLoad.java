package io.escrow.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.escrow.config.EscrowSettings;
import io.escrow.hpke.ContractLabels;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.hsm.Pkcs11ShareToken;
import io.escrow.proto.v1.ApproveWarrantRequest;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.DepositRequest;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.FileWarrantRequest;
import io.escrow.proto.v1.RecoverRequest;
import io.escrow.proto.v1.RecoveredKey;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.escrow.proto.v1.WarrantSpec;
import io.escrow.threshold.P256;
import io.escrow.threshold.Shamir;
import io.escrow.warrant.DemoAuthorities;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.math.ec.ECPoint;

/**
 * The recovery phase of {@code escrowctl load}: n in-scope deposits, one warrant approved by the
 * demo authorities, one Recover stream on loopback. Compared with the raw in-token ECDH rate of
 * custodian 1 measured in the same run (rate ÷ t is what t tokens could do with no overhead).
 */
final class RecoveryLoad {
    private static final SecureRandom RANDOM = new SecureRandom();

    private RecoveryLoad() {}

    static void run(ManagedChannel channel, EscrowSettings settings, EscrowKey key, int n, int seconds) throws Exception {
        for (String a : DemoAuthorities.NAMES) {
            if (!java.nio.file.Files.exists(DemoAuthorities.signerKey(settings.dataDir(), a))) {
                System.out.println("recovery: skipped (needs the demo authorities of the embedded development default under "
                        + DemoAuthorities.dir(settings.dataDir()) + ")");
                return;
            }
        }
        String subject = "recovery-load-" + Long.toString(System.currentTimeMillis(), 36);
        int warm = Math.min(n, 2000);
        System.out.printf("recovery: sealing and depositing %,d records for one subject (+%,d to warm up) ...%n", n, warm);
        deposit(channel, key, subject, n);
        deposit(channel, key, subject + "-warm-up", warm);
        // A fresh service runs the recovery path interpreted at first; one recovery not counted.
        int warmed = recoverAll(channel, approvedWarrant(channel, settings, subject + "-warm-up", warm, Hpke.generateKeyPair(RANDOM)));
        System.out.printf("recovery warm-up: %,d records (not counted)%n", warmed);

        double raw = rawEcdh(settings, key.getKeyId(), seconds);
        System.out.printf("raw in-token ECDH (%s), 1 thread:  %,10.0f /s%n", settings.custodians().get(0).custodianId(), raw);

        Hpke.KeyPair recipient = Hpke.generateKeyPair(RANDOM);
        Warrant w = approvedWarrant(channel, settings, subject, n, recipient);
        long start = System.nanoTime();
        Iterator<RecoveredKey> it = RecoveryServiceGrpc.newBlockingStub(channel)
                .recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
        int received = 0;
        RecoveredKey last = null;
        while (it.hasNext()) {
            last = it.next();
            received++;
        }
        double secs = (System.nanoTime() - start) / 1e9;
        double rate = received / secs;
        Hpke hpke = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);
        boolean opens = last != null && hpke.openOrNull(recipient, last.getEnc().toByteArray(),
                ContractLabels.recoveryInfo(w.getWarrantId()), ContractLabels.recoveryAad(last.getRecordId()),
                last.getSealedKey().toByteArray()) != null;
        System.out.printf("Recover, 1 stream, %,d records:     %,10.0f records/s  (%.1f s; last key opens: %s)%n",
                received, rate, secs, opens ? "yes" : "NO");
        System.out.printf("recovery / (raw ECDH / t=%d):         %10.2f  (target >= 0.60)%n", key.getThreshold(),
                rate / (raw / key.getThreshold()));

        // The same number of records spread over many subjects, one warrant naming them all: each
        // page reads every subject's next records in one query, not one round trip per subject.
        List<String> subjects = java.util.stream.IntStream.range(0, MANY_SUBJECTS).mapToObj(i -> subject + "-many-" + i).toList();
        System.out.printf("recovery: %,d records over %,d subjects ...%n", n, subjects.size());
        deposit(channel, key, subjects, subject + "-many", n);
        Warrant many = approvedWarrant(channel, settings, subjects, n, Hpke.generateKeyPair(RANDOM));
        long manyStart = System.nanoTime();
        int manyReceived = recoverAll(channel, many);
        double manyRate = manyReceived / ((System.nanoTime() - manyStart) / 1e9);
        System.out.printf("Recover, %,d subjects, %,d records: %,8.0f records/s%n", subjects.size(), manyReceived, manyRate);
        System.out.printf("%,d subjects / 1 subject:            %10.2f  (target >= 0.80)%n", subjects.size(), manyRate / rate);
    }

    /** Subjects of the many-subject warrant: the default escrow.warrant.max-subjects. */
    private static final int MANY_SUBJECTS = 1000;

    /**
     * For the scale benchmark: deposits {@code n} records for a fresh subject, runs one recovery of
     * up to 2,000 others first (not counted, so each measurement starts equally warm) and returns
     * the records per second of one Recover stream of all {@code n}.
     */
    static double timedRecovery(ManagedChannel channel, EscrowSettings settings, EscrowKey key, int n) throws Exception {
        for (String a : DemoAuthorities.NAMES) {
            if (!java.nio.file.Files.exists(DemoAuthorities.signerKey(settings.dataDir(), a))) {
                throw CliException.refused("the scale benchmark's recovery needs the demo authorities of the embedded development "
                        + "default under " + DemoAuthorities.dir(settings.dataDir()));
            }
        }
        String subject = "scale-recovery-" + Long.toString(System.currentTimeMillis(), 36);
        int warm = Math.min(n, 2000);
        deposit(channel, key, subject, n);
        deposit(channel, key, subject + "-warm-up", warm);
        recoverAll(channel, approvedWarrant(channel, settings, subject + "-warm-up", warm, Hpke.generateKeyPair(RANDOM)));
        Warrant w = approvedWarrant(channel, settings, subject, n, Hpke.generateKeyPair(RANDOM));
        long start = System.nanoTime();
        int received = recoverAll(channel, w);
        double secs = (System.nanoTime() - start) / 1e9;
        if (received != n) {
            throw new IllegalStateException("the scale benchmark's recovery released " + received + " of " + n + " records");
        }
        return received / secs;
    }

    static int recoverAll(ManagedChannel channel, Warrant w) {
        int count = 0;
        Iterator<RecoveredKey> it = RecoveryServiceGrpc.newBlockingStub(channel)
                .recover(RecoverRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
        while (it.hasNext()) {
            it.next();
            count++;
        }
        return count;
    }

    static void deposit(ManagedChannel channel, EscrowKey key, String subject, int n) throws Exception {
        deposit(channel, key, List.of(subject), subject, n);
    }

    /** {@code n} deposits, record i for subject i mod |subjects|, with provider_record_ids {@code idPrefix/i}. */
    static void deposit(ManagedChannel channel, EscrowKey key, List<String> subjects, String idPrefix, int n) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<DepositRequest> out = EscrowServiceGrpc.newStub(channel).depositStream(new StreamObserver<>() {
            public void onNext(DepositReceipt r) {}

            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            public void onCompleted() {
                done.complete(null);
            }
        });
        for (int i = 0; i < n; i++) {
            long from = 1_700_000_000L + i;
            byte[] sessionKey = new byte[32];
            RANDOM.nextBytes(sessionKey);
            out.onNext(SealedDeposits.seal(key, subjects.get(i % subjects.size()), from, from + 60, sessionKey, RANDOM)
                    .setProviderRecordId(idPrefix + "/" + i).build());
        }
        out.onCompleted();
        done.get(10, TimeUnit.MINUTES);
    }

    /** Single-thread ECDH rate inside custodian 1's token, on this key's share, after a one-second warm-up. */
    private static double rawEcdh(EscrowSettings settings, String keyId, int seconds) {
        List<ECPoint> points = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            points.add(P256.G.multiply(Shamir.randomNonZeroScalar(RANDOM)).normalize());
        }
        try (Pkcs11ShareToken token = Pkcs11ShareToken.open(settings.custodians().get(0))) {
            long warm = System.nanoTime() + 1_000_000_000L;
            int i = 0;
            while (System.nanoTime() < warm) {
                token.deriveX(keyId, points.get(i++ % points.size()));
            }
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            long count = 0;
            while (System.nanoTime() < end) {
                token.deriveX(keyId, points.get(i++ % points.size()));
                count++;
            }
            return count / (double) seconds;
        }
    }

    static Warrant approvedWarrant(ManagedChannel channel, EscrowSettings settings, String subject, int n,
                                           Hpke.KeyPair recipient) throws Exception {
        return approvedWarrant(channel, settings, List.of(subject), n, recipient);
    }

    /** A warrant naming {@code subjects}, for up to {@code n} records, approved by the demo authorities (and consented to). */
    static Warrant approvedWarrant(ManagedChannel channel, EscrowSettings settings, List<String> subjects, int n,
                                   Hpke.KeyPair recipient) throws Exception {
        String subject = subjects.get(0);
        var warrants = WarrantServiceGrpc.newBlockingStub(channel);
        long now = Instant.now().getEpochSecond();
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        Warrant w = warrants.fileWarrant(FileWarrantRequest.newBuilder().setSpec(WarrantSpec.newBuilder()
                .setCaseReference("LOAD-" + subject).setRequestingAgency("escrowctl load").addAllSubjectIds(subjects)
                .setCoversFrom(ts(1_600_000_000L)).setCoversUntil(ts(1_800_000_000L))
                .setNotBefore(ts(now - 60)).setNotAfter(ts(now + 3600)).setMaxRecords(n)
                .setRecipientPublicKey(ByteString.copyFrom(recipient.publicKeyBytes()))
                .setNonce(ByteString.copyFrom(nonce))).build());
        for (String a : DemoAuthorities.NAMES) {
            byte[] cms = DemoAuthorities.sign(settings.dataDir(), a, w.getSignedBytes().toByteArray());
            w = warrants.approveWarrant(ApproveWarrantRequest.newBuilder().setWarrantId(w.getWarrantId())
                    .setCmsSignature(ByteString.copyFrom(cms)).build());
        }
        if (DemoCustodians.consentRequired(channel, w.getWarrantId())) {
            DemoCustodians.activate(channel, settings.dataDir(), w, DemoCustodians.spread(settings.threshold()), Math.max(1, n));
        }
        return w;
    }

    private static Timestamp ts(long s) {
        return Timestamp.newBuilder().setSeconds(s).build();
    }
}
