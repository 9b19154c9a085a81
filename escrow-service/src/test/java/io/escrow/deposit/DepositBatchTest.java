package io.escrow.deposit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.deposit.DepositBatch.Submission;
import io.escrow.keys.KeyRegistry;
import io.escrow.storage.Database;
import io.escrow.testing.AuditProbe;
import io.escrow.threshold.KeyRecord;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One batch through the {@code deposit_batch} function on the real embedded PostgreSQL: new
 * deposits, replays and conflicts (stored earlier or repeated within the batch), and the audit
 * leaves and head it leaves behind.
 */
@QuarkusTest
class DepositBatchTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    Database db;

    @Inject
    KeyRegistry keys;

    private KeyRecord key;
    private final RecordIds ids = new RecordIds(Clock.systemUTC());

    @BeforeEach
    void key() {
        key = keys.current().orElseThrow();
    }

    /** A valid deposit; the escrow public key serves as a well-formed enc point. */
    private Deposit deposit(String providerRecordId, String subject) {
        byte[] ciphertext = new byte[48];
        RANDOM.nextBytes(ciphertext);
        return Deposit.validate(providerRecordId, subject, key.keyId(), Instant.ofEpochSecond(1_700_000_000L),
                Instant.ofEpochSecond(1_700_003_600L), key.publicKeyBytes(), ciphertext, keys);
    }

    private List<Optional<Receipt>> store(List<Submission> batch) throws Exception {
        try (Connection c = db.connection()) {
            c.setAutoCommit(true);
            new DepositPartitions().ensure(c, batch.stream().map(b -> b.deposit().keyId()).toList());
            return DepositBatch.store(c, batch, ids, Instant.now());
        }
    }

    @Test
    void store_answersNewReplayedAndConflictingDeposits_andLogsOnlyTheNewOnes() throws Exception {
        String run = UUID.randomUUID().toString();
        Deposit earlier = deposit("earlier-" + run, "alice");
        Receipt stored = store(List.of(new Submission("provider-a", earlier))).get(0).orElseThrow();
        assertFalse(stored.replayed());

        AuditProbe audit = new AuditProbe(db);
        long mark = audit.mark();
        Deposit fresh = deposit("fresh-" + run, "bob");
        List<Submission> batch = List.of(
                new Submission("provider-a", fresh),                            // 0: new
                new Submission("provider-a", earlier),                          // 1: replay of a stored deposit
                new Submission("provider-a", deposit("earlier-" + run, "eve")), // 2: conflict with a stored deposit
                new Submission("provider-a", fresh),                            // 3: replay within the batch
                new Submission("provider-a", deposit("fresh-" + run, "eve")),   // 4: conflict within the batch
                new Submission("provider-b", deposit("fresh-" + run, "carol")));// 5: same id, other provider: new
        List<Optional<Receipt>> out = store(batch);

        assertEquals(6, out.size());
        Receipt first = out.get(0).orElseThrow();
        assertFalse(first.replayed());
        assertEquals(mark, first.auditIndex());
        assertEquals(stored, withReplayed(out.get(1).orElseThrow(), false));
        assertTrue(out.get(1).orElseThrow().replayed());
        assertTrue(out.get(2).isEmpty(), "different content under a stored provider_record_id");
        assertEquals(new Receipt(first.recordId(), first.providerRecordId(), first.auditIndex(), true), out.get(3).orElseThrow());
        assertTrue(out.get(4).isEmpty(), "different content repeated within the batch");
        Receipt other = out.get(5).orElseThrow();
        assertFalse(other.replayed());
        assertEquals(mark + 1, other.auditIndex());

        List<AuditProbe.Leaf> leaves = audit.since(mark);
        assertEquals(2, leaves.size(), "one leaf per new deposit, none for replays or conflicts");
        assertEquals("deposit", leaves.get(0).type());
        assertEquals("provider-a", leaves.get(0).actor());
        assertTrue(leaves.get(0).mentions(first.recordId().toString()));
        assertEquals("provider-b", leaves.get(1).actor());
        assertTrue(leaves.get(1).mentions(other.recordId().toString()));
        assertEquals(mark + 2, audit.mark(), "the head advanced by exactly the new deposits");
        assertEquals(first.auditIndex(), auditIndexOf(first.recordId()));
    }

    @Test
    void store_withAConflictBeforeAnIdenticalReplay_answersEachAgainstTheStoredDeposit() throws Exception {
        Deposit stored = deposit("order-" + UUID.randomUUID(), "alice");
        Receipt first = store(List.of(new Submission("provider-a", stored))).get(0).orElseThrow();
        List<Optional<Receipt>> out = store(List.of(
                new Submission("provider-a", deposit(stored.providerRecordId(), "eve")),
                new Submission("provider-a", stored)));
        assertTrue(out.get(0).isEmpty(), "different content: ALREADY_EXISTS");
        assertEquals(withReplayed(first, true), out.get(1).orElseThrow(), "identical content: the stored receipt");
    }

    /**
     * Since V11 a replay is told from a conflict by the stored fields themselves: no digest is
     * stored, and one byte of difference in the ciphertext is a conflict.
     */
    @Test
    void store_keepsNoDigest_andOneDifferingCiphertextByteIsAConflict() throws Exception {
        Deposit d = deposit("fields-" + UUID.randomUUID(), "alice");
        Receipt stored = store(List.of(new Submission("provider-a", d))).get(0).orElseThrow();
        byte[] ct = d.ciphertextRef().clone();
        ct[ct.length - 1] ^= 1;
        Deposit tampered = Deposit.validate(d.providerRecordId(), d.subjectId(), d.keyId(), Instant.ofEpochSecond(d.coversFrom()),
                Instant.ofEpochSecond(d.coversUntil()), d.encRef(), ct, keys);
        List<Optional<Receipt>> out = store(List.of(new Submission("provider-a", tampered), new Submission("provider-a", d)));
        assertTrue(out.get(0).isEmpty(), "one byte of ciphertext differs: ALREADY_EXISTS");
        assertEquals(withReplayed(stored, true), out.get(1).orElseThrow());
        try (Connection c = db.connection(); var ps = c.prepareStatement(
                "select count(*) from information_schema.columns where table_name = 'deposits' and column_name = 'request_digest'")) {
            try (var rs = ps.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(0, rs.getInt(1), "no digest is stored: V12 dropped the column");
            }
        }
    }

    @Test
    void store_ofOnlyReplays_writesNoLeaf() throws Exception {
        Deposit d = deposit("replay-" + UUID.randomUUID(), "alice");
        Receipt stored = store(List.of(new Submission("provider-a", d))).get(0).orElseThrow();
        long mark = new AuditProbe(db).mark();
        Receipt again = store(List.of(new Submission("provider-a", d))).get(0).orElseThrow();
        assertEquals(stored.recordId(), again.recordId());
        assertEquals(stored.auditIndex(), again.auditIndex());
        assertEquals(mark, new AuditProbe(db).mark());
    }

    /**
     * Two replicas racing with the same provider_record_id: the head lock orders them, and the
     * second one's look-up runs after the first committed, so it answers a replay (or a conflict)
     * instead of failing on the unique key.
     */
    @Test
    void store_racingFromTwoConnections_storesEachIdOnce_andAnswersTheOtherAsReplayOrConflict() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 40; round++) {
                Deposit same = deposit("race-" + UUID.randomUUID(), "alice");
                Deposit second = round % 2 == 0 ? same : deposit(same.providerRecordId(), "eve");
                var start = new java.util.concurrent.CountDownLatch(1);
                var a = pool.submit(() -> {
                    start.await();
                    return store(List.of(new Submission("provider-a", same)));
                });
                var b = pool.submit(() -> {
                    start.await();
                    return store(List.of(new Submission("provider-a", second)));
                });
                start.countDown();
                Optional<Receipt> ra = a.get(30, java.util.concurrent.TimeUnit.SECONDS).get(0);
                Optional<Receipt> rb = b.get(30, java.util.concurrent.TimeUnit.SECONDS).get(0);
                List<Receipt> answered = java.util.stream.Stream.of(ra, rb).flatMap(Optional::stream).toList();
                assertEquals(1, answered.stream().filter(r -> !r.replayed()).count(), "exactly one stores the id");
                if (round % 2 == 0) {
                    assertEquals(2, answered.size());
                    assertEquals(answered.get(0).recordId(), answered.get(1).recordId(), "the other is its replay");
                } else {
                    assertEquals(1, answered.size(), "different content: the later one is a conflict");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void store_onATransactionalConnection_isRefused() throws Exception {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            List<Submission> one = List.of(new Submission("provider-a", deposit("tx-" + UUID.randomUUID(), "alice")));
            assertThrows(IllegalArgumentException.class, () -> DepositBatch.store(c, one, ids, Instant.now()));
            c.rollback();
        }
    }

    private static Receipt withReplayed(Receipt r, boolean replayed) {
        return new Receipt(r.recordId(), r.providerRecordId(), r.auditIndex(), replayed);
    }

    private long auditIndexOf(UUID recordId) throws Exception {
        try (Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement("select audit_index from deposits where record_id = ?")) {
            ps.setObject(1, recordId);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                return rs.getLong(1);
            }
        }
    }
}
