package io.escrow.audit;

import io.escrow.error.EscrowException;
import io.escrow.note.NoteVerifier;
import io.escrow.note.VerifierKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The rule that no key leaves before its release is witnessed: {@link #await} returns a tree
 * head that covers the given size and carries valid cosignatures from at least k of the
 * configured witnesses, or fails with UNAVAILABLE once the timeout passes; callers skip it when
 * k = 0. The cosignatures are read from the database, so a head any replica had witnessed counts.
 */
public final class WitnessQuorum {
    /** Longest wait between database reads, for cosignatures that another replica stored. */
    static final Duration POLL = Duration.ofMillis(50);

    private final AuditTree tree;
    private final WitnessRecords records;
    private final List<VerifierKey> witnesses;
    private final int quorum;
    private final Duration timeout;
    private final Runnable publishSoon;
    private final Clock clock;

    /** @param publishSoon asks the publisher to publish and submit a new head now rather than at its next tick */
    public WitnessQuorum(AuditTree tree, WitnessRecords records, List<VerifierKey> witnesses, int quorum, Duration timeout,
                         Runnable publishSoon, Clock clock) {
        if (quorum < 0 || quorum > witnesses.size()) {
            throw new IllegalArgumentException("a quorum of " + quorum + " cannot be met by " + witnesses.size() + " witnesses");
        }
        this.tree = tree;
        this.records = records;
        this.witnesses = List.copyOf(witnesses);
        this.quorum = quorum;
        this.timeout = timeout;
        this.publishSoon = publishSoon;
        this.clock = clock;
    }

    public int quorum() {
        return quorum;
    }

    public List<VerifierKey> witnesses() {
        return witnesses;
    }

    /** The quorum could not be met in time: the release stays committed and is sent by a later Recover. */
    public static final class UnavailableException extends EscrowException {
        public UnavailableException(String message) {
            super(Category.UNAVAILABLE, message);
        }
    }

    /** A head of size at least {@code minSize} that k witnesses cosigned; k must be above 0. */
    public SignedTreeHead await(long minSize) throws InterruptedException {
        if (quorum == 0) {
            throw new IllegalStateException("no witness quorum is configured");
        }
        Instant deadline = clock.instant().plus(timeout);
        int best = 0;
        while (true) {
            long seen = records.stored();
            for (SignedTreeHead h : tree.heads(minSize, 50)) {
                int n = NoteVerifier.validCosigners(h.note(), witnesses);
                if (n >= quorum) {
                    return h;
                }
                best = Math.max(best, n);
            }
            if (!clock.instant().isBefore(deadline)) {
                throw new UnavailableException("no checkpoint covering the release leaves below " + minSize + " carries cosignatures "
                        + "from " + quorum + " witness(es) after " + timeout.toMillis() + " ms (the best has " + best + "); the "
                        + "releases are committed and will be sent by a later Recover once the witnesses answer");
            }
            publishSoon.run();
            records.awaitStored(seen, POLL);
        }
    }
}
