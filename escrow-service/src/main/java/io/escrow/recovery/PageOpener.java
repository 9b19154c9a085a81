package io.escrow.recovery;

import io.escrow.hpke.Hpke;
import io.escrow.threshold.InsufficientCustodiansException;
import io.escrow.warrant.WarrantSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Opens the records of one page several at a time, so that the custodians' tokens work on
 * different records at once: a network HSM answers each derive only after a round trip, and a
 * record opened at a time costs t round trips, however many sessions the HSM serves. The
 * results come back in page order, and only once every record of the page is done, so pages
 * still commit, open and go out strictly in order and memory stays bounded by one page (plus
 * the page the sender is sealing). How many derives each token runs at once is bounded by its
 * sessions ({@code escrow.hsm.token.ID.sessions}), not here.
 */
final class PageOpener {
    private final RecordOpener opener;
    private final ExecutorService workers;
    private final int parallel;

    /** @param parallel records opened at once, across every recovery of this service */
    PageOpener(RecordOpener opener, int parallel) {
        if (parallel < 1) {
            throw new IllegalArgumentException("at least one record must be opened at a time, got " + parallel);
        }
        this.opener = opener;
        this.parallel = parallel;
        this.workers = Executors.newFixedThreadPool(parallel, r -> {
            Thread t = new Thread(r, "recovery-open");
            t.setDaemon(true);
            return t;
        });
    }

    int parallel() {
        return parallel;
    }

    /**
     * Opens {@code releases} in page order. Once the reserved custodians cannot all answer for a
     * record, records not yet started are not tried: they are reported with that failure (their
     * release leaves stand, so a later Recover sends them). Any other failure fails the page, after
     * every record already started has finished.
     */
    List<RecordOpener.Opened> open(String warrantId, WarrantSpec spec, Hpke.Recipient recipient,
                                   List<ReleaseLedger.Release> releases, CustodianAccess.Reservation reserved) {
        AtomicReference<InsufficientCustodiansException> unavailable = new AtomicReference<>();
        List<CompletableFuture<RecordOpener.Opened>> running = new ArrayList<>(releases.size());
        for (ReleaseLedger.Release r : releases) {
            running.add(CompletableFuture.supplyAsync(() -> {
                InsufficientCustodiansException gone = unavailable.get();
                if (gone != null) {
                    return new RecordOpener.Opened(r, null, gone.getMessage(), gone);
                }
                RecordOpener.Opened o = opener.open(warrantId, spec, recipient, r, reserved);
                if (o.unavailable() != null) {
                    unavailable.compareAndSet(null, o.unavailable());
                }
                return o;
            }, workers));
        }
        List<RecordOpener.Opened> out = new ArrayList<>(releases.size());
        RuntimeException failure = null;
        for (CompletableFuture<RecordOpener.Opened> f : running) {
            try {
                out.add(f.join());
            } catch (CompletionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException re ? re : e;
                if (failure == null) {
                    failure = cause;
                } else if (failure != cause) {
                    failure.addSuppressed(cause);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return out;
    }
}
