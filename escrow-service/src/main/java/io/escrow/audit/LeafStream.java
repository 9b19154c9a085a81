package io.escrow.audit;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * One reader's pass over the log from an index on, read a page at a time. A long read starts
 * with a {@link LeafScan} (sequential, leaving the deposit path's indexes in memory) while it has
 * one; the rest, and every short read, goes by index in windows ({@link AuditReader#forEach}).
 * Either way the rows are the same, in index order, stopping at the first leaf not committed yet.
 *
 * <p>A scan holds a pooled connection and a snapshot, so it lasts only while the reader keeps up:
 * the caller {@link #releaseScan releases} it when its client stops reading, and any database
 * error in it ends it. Neither loses a row; the pass goes on by index.
 */
public final class LeafStream implements AutoCloseable {
    private final AuditReader reader;
    private final Runnable onScanEnd;
    private Connection scanConnection;
    private LeafScan scan;
    private long next;
    private AuditReader.Row held;

    LeafStream(AuditReader reader, long from, Connection scanConnection, LeafScan scan, Runnable onScanEnd) {
        this.reader = reader;
        this.next = from;
        this.scanConnection = scanConnection;
        this.scan = scan;
        this.onScanEnd = onScanEnd;
    }

    /** The index of the next leaf {@link #read} gives. */
    public long next() {
        return next;
    }

    /** True while a sequential scan serves this pass. */
    public boolean scanning() {
        return scan != null;
    }

    /**
     * Gives the consumer up to {@code limit} leaves from {@link #next} on; stops early at the
     * first leaf not committed yet, or when the consumer returns false (that row is offered again
     * by the next call). Returns how many it took.
     */
    public long read(long limit, AuditReader.RowConsumer consumer) throws InterruptedException {
        long taken = 0;
        while (scan != null && taken < limit) {
            AuditReader.Row row = held;
            held = null;
            if (row == null) {
                try {
                    row = scan.take();
                } catch (SQLException e) {
                    releaseScan();
                    break;
                }
            }
            if (row != null) {
                if (!consumer.accept(row)) {
                    held = row;
                    return taken;
                }
                taken++;
                next++;
                continue;
            }
            if (scan.exhausted()) {
                releaseScan();
                break;
            }
            // The next leaf is out of the scan's reach: read that stretch by index.
            long want = Math.min(limit - taken, LeafRange.MAX_WINDOW);
            long[] got = {0};
            boolean[] refused = {false};
            reader.forEach(next, want, r -> {
                if (!consumer.accept(r)) {
                    refused[0] = true;
                    return false;
                }
                got[0]++;
                return true;
            });
            taken += got[0];
            next += got[0];
            if (refused[0]) {
                scan.skipTo(next);
                return taken;
            }
            if (got[0] < want) {
                // The end of what is committed: the scan's older snapshot cannot help past it.
                releaseScan();
                return taken;
            }
            scan.skipTo(next);
        }
        if (taken < limit) {
            long more = reader.forEach(next, limit - taken, consumer);
            taken += more;
            next += more;
        }
        return taken;
    }

    /** Ends the scan, if one is open, and gives its connection back; the pass goes on by index. */
    public void releaseScan() {
        if (scan == null) {
            return;
        }
        LeafScan s = scan;
        Connection c = scanConnection;
        scan = null;
        scanConnection = null;
        held = null;
        try {
            try {
                s.close();
            } finally {
                c.close();
            }
        } catch (SQLException e) {
            // The connection is broken; the pool discards it. The pass needs nothing from it.
        } finally {
            onScanEnd.run();
        }
    }

    @Override
    public void close() {
        releaseScan();
    }
}
