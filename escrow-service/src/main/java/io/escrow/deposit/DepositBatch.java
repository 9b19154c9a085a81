package io.escrow.deposit;

import io.escrow.storage.SqlArrays;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Stores one batch of deposits with one call of the {@code deposit_batch_v3} database function
 * (migration V12) on an autocommit connection: a single round trip locks the audit head, looks up
 * earlier deposits under the same (provider, provider_record_id), inserts the new deposits at
 * consecutive audit indexes, advances the head and commits. Each row is its own {@code deposit}
 * leaf ({@link io.escrow.audit.StoredDeposit#leaf}), at its audit index and with its time.
 *
 * <p>When {@link #store} returns, everything it reports is durable. Each submission's outcome is
 * a receipt, or empty when its provider_record_id is already taken by different content
 * (ALREADY_EXISTS). An identical repeat, earlier or in the same batch, gets the first receipt,
 * marked as replayed.
 */
final class DepositBatch {
    record Submission(String provider, Deposit deposit) {
        String key() {
            return provider + '\u0000' + deposit.providerRecordId();
        }
    }

    private DepositBatch() {}

    static List<Optional<Receipt>> store(Connection c, List<Submission> batch, RecordIds ids, Instant clockNow) throws SQLException {
        if (!c.getAutoCommit()) {
            throw new IllegalArgumentException("deposit batches commit themselves; pass an autocommit connection");
        }
        // The leaf encodes microseconds; storing the same truncated instant keeps logged_at equal to it.
        Instant now = clockNow.truncatedTo(ChronoUnit.MICROS);
        // The function takes each provider_record_id once; later repeats in the batch are resolved here.
        // slot[i] is submission i's position among the distinct ones; first[i] marks where it is new.
        Map<String, Integer> slotOfKey = new HashMap<>();
        List<Submission> distinct = new ArrayList<>();
        int[] slot = new int[batch.size()];
        boolean[] first = new boolean[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            Integer earlier = slotOfKey.putIfAbsent(batch.get(i).key(), distinct.size());
            first[i] = earlier == null;
            slot[i] = first[i] ? distinct.size() : earlier;
            if (first[i]) {
                distinct.add(batch.get(i));
            }
        }
        Held[] held = call(c, distinct, ids, now);

        List<Optional<Receipt>> outcomes = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Submission s = batch.get(i);
            Held h = held[slot[i]];
            if (h.fresh() && first[i]) {
                outcomes.add(Optional.of(h.receipt(s, false)));
            } else if (h.sameContent(s.deposit())) {
                outcomes.add(Optional.of(h.receipt(s, true)));
            } else {
                outcomes.add(Optional.empty());
            }
        }
        return outcomes;
    }

    /**
     * What the database holds under one (provider, provider_record_id) after the call: the deposit
     * this batch stored ({@code fresh}) or the one stored before. Every submission with that key is
     * answered against it: its first submission if fresh, otherwise a replay if identical and a
     * conflict if not.
     */
    private record Held(UUID recordId, long auditIndex, boolean fresh, Deposit stored) {
        Receipt receipt(Submission s, boolean replayed) {
            return new Receipt(recordId, s.deposit().providerRecordId(), auditIndex, replayed);
        }

        /** Whether {@code d} is this deposit again, field for field (a replay), rather than other content under its id. */
        boolean sameContent(Deposit d) {
            return d.sameContent(stored);
        }
    }

    /** Calls the function once for distinct submissions; returns what is held under each, in their order. */
    private static Held[] call(Connection c, List<Submission> distinct, RecordIds ids, Instant now) throws SQLException {
        int n = distinct.size();
        UUID[] recordId = new UUID[n];
        String[] provider = new String[n];
        String[] providerRecordId = new String[n];
        String[] subject = new String[n];
        String[] keyId = new String[n];
        Long[] from = new Long[n];
        Long[] until = new Long[n];
        byte[][] enc = new byte[n][];
        byte[][] ct = new byte[n][];
        for (int i = 0; i < n; i++) {
            Submission s = distinct.get(i);
            Deposit d = s.deposit();
            recordId[i] = ids.next();
            provider[i] = s.provider();
            providerRecordId[i] = d.providerRecordId();
            subject[i] = d.subjectId();
            keyId[i] = d.keyId();
            from[i] = d.coversFrom();
            until[i] = d.coversUntil();
            enc[i] = d.encRef();
            ct[i] = d.ciphertextRef();
        }
        Held[] out = new Held[n];
        try (PreparedStatement ps = c.prepareStatement(
                "select ord, record_id, audit_index, stored, held_subject_id, held_key_id, held_covers_from, held_covers_until, "
                        + "held_enc, held_ciphertext from deposit_batch_v3("
                        + "?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], "
                        + "?::bytea[], ?::bytea[], ?)")) {
            SqlArrays.bind(c, ps, 1, new String[] {"uuid", "text", "text", "text", "text", "int8", "int8", "bytea", "bytea"},
                    recordId, provider, providerRecordId, subject, keyId, from, until, enc, ct);
            ps.setTimestamp(10, Timestamp.from(now));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int i = rs.getInt(1) - 1;
                    boolean fresh = rs.getBoolean(4);
                    // A fresh row holds this very submission; later repeats in the batch compare against it.
                    Deposit stored = fresh ? distinct.get(i).deposit() : Deposit.stored(distinct.get(i).deposit().providerRecordId(), rs.getString(5),
                            rs.getString(6), rs.getLong(7), rs.getLong(8), rs.getBytes(9), rs.getBytes(10));
                    out[i] = new Held(rs.getObject(2, UUID.class), rs.getLong(3), fresh, stored);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            if (out[i] == null) {
                throw new IllegalStateException("deposit_batch gave no answer for deposit " + (i + 1) + " of " + n);
            }
        }
        return out;
    }
}
