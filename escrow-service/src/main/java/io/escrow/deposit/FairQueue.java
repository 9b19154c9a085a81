package io.escrow.deposit;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded queue that serves its keys (here: callers) in turn, one item each, and keeps each
 * key's items in order. One caller with a deep backlog then delays another caller's deposit by
 * at most one item per backlogged caller, instead of by the whole backlog; and no caller may
 * hold more than {@code perKeyCapacity} of the queue, so the rest stays open to the others.
 */
final class FairQueue<T> {
    private final int capacity;
    private final int perKeyCapacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    /** Each key's waiting items, oldest first; a key is present only while it has items. Guarded by lock. */
    private final Map<String, ArrayDeque<T>> byKey = new HashMap<>();
    /** Keys with items, in the order they are next served. Guarded by lock. */
    private final ArrayDeque<String> turns = new ArrayDeque<>();
    private int size;

    /** Why {@link #offer} refused an item. */
    enum Refusal { NONE, FULL, KEY_FULL }

    FairQueue(int capacity, int perKeyCapacity) {
        if (capacity < 1 || perKeyCapacity < 1 || perKeyCapacity > capacity) {
            throw new IllegalArgumentException("need 1 <= perKeyCapacity <= capacity, got " + perKeyCapacity + " and " + capacity);
        }
        this.capacity = capacity;
        this.perKeyCapacity = perKeyCapacity;
    }

    /** Adds {@code item} at the end of {@code key}'s items, unless the queue or that key's share is full. */
    Refusal offer(String key, T item) {
        lock.lock();
        try {
            ArrayDeque<T> items = byKey.get(key);
            if (items != null && items.size() >= perKeyCapacity) {
                return Refusal.KEY_FULL;
            }
            if (size >= capacity) {
                return Refusal.FULL;
            }
            if (items == null) {
                items = new ArrayDeque<>();
                byKey.put(key, items);
                turns.addLast(key);
            }
            items.addLast(item);
            size++;
            notEmpty.signal();
            return Refusal.NONE;
        } finally {
            lock.unlock();
        }
    }

    /** The next item in turn, waiting up to {@code timeout}; null if none arrived. */
    T poll(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (size == 0) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            return takeNext();
        } finally {
            lock.unlock();
        }
    }

    /** Moves up to {@code max} items, in turn across keys, to {@code out}; returns how many. */
    int drainTo(List<T> out, int max) {
        lock.lock();
        try {
            int n = 0;
            while (n < max && size > 0) {
                out.add(takeNext());
                n++;
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    int perKeyCapacity() {
        return perKeyCapacity;
    }

    private T takeNext() {
        String key = turns.pollFirst();
        ArrayDeque<T> items = byKey.get(key);
        T item = items.pollFirst();
        size--;
        if (items.isEmpty()) {
            byKey.remove(key);
        } else {
            turns.addLast(key);
        }
        return item;
    }
}
