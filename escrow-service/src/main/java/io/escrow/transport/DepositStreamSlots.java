package io.escrow.transport;

import io.escrow.config.ConfigValues;
import io.escrow.error.EscrowException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * How many DepositStreams one caller may hold open at once ({@code escrow.deposit.max-streams-per-caller},
 * default 8). Each stream admits up to {@link DepositStreamHandler#WINDOW} requests whose
 * receipts the client has not read, so this bounds what one caller can make the service hold,
 * whatever number of connections it opens; other callers keep their own slots.
 */
public final class DepositStreamSlots {
    public static final String KEY = "escrow.deposit.max-streams-per-caller";
    /** 8 streams x {@link DepositStreamHandler#WINDOW} = DepositLog.MAX_QUEUED_PER_PROVIDER: a caller's streams alone never overflow its share. */
    public static final int DEFAULT = 8;

    private final int perCaller;
    /** Open streams per caller name; callers are configured identities, so this map is bounded. Guarded by this. */
    private final Map<String, Integer> open = new HashMap<>();

    public DepositStreamSlots(int perCaller) {
        if (perCaller < 1) {
            throw new IllegalArgumentException("perCaller must be at least 1");
        }
        this.perCaller = perCaller;
    }

    public static DepositStreamSlots load(Function<String, Optional<String>> get) {
        return new DepositStreamSlots(ConfigValues.intValue(get, KEY, DEFAULT, 1, 4096));
    }

    /** A slot for one stream of {@code caller}; release it exactly once when the stream ends. */
    public synchronized Runnable acquire(String caller) {
        int n = open.getOrDefault(caller, 0);
        if (n >= perCaller) {
            throw new TooManyStreamsException(caller, perCaller);
        }
        open.put(caller, n + 1);
        boolean[] released = {false};
        return () -> release(caller, released);
    }

    private synchronized void release(String caller, boolean[] released) {
        if (released[0]) {
            return;
        }
        released[0] = true;
        open.computeIfPresent(caller, (k, n) -> n > 1 ? n - 1 : null);
    }

    int perCaller() {
        return perCaller;
    }

    synchronized int open(String caller) {
        return open.getOrDefault(caller, 0);
    }

    public static final class TooManyStreamsException extends EscrowException {
        TooManyStreamsException(String caller, int max) {
            super(Category.RESOURCE_EXHAUSTED, "caller " + caller + " already has " + max
                    + " DepositStreams open, the most allowed (" + KEY + "); send on an open stream or close one");
        }
    }
}
