package io.escrow.deposit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FairQueueTest {
    @Test
    void drainTo_withOneKeyBacklogged_servesTheOtherKeyInTheFirstTurns() {
        FairQueue<String> q = new FairQueue<>(100, 50);
        for (int i = 0; i < 40; i++) {
            q.offer("flood", "f" + i);
        }
        q.offer("acme", "a0");
        q.offer("acme", "a1");
        List<String> batch = new ArrayList<>();
        q.drainTo(batch, 5);
        assertEquals(List.of("f0", "a0", "f1", "a1", "f2"), batch);
        assertEquals(37, q.size());
    }

    @Test
    void offer_beyondAKeysShare_isRefusedForThatKeyOnly() {
        FairQueue<Integer> q = new FairQueue<>(4, 2);
        assertEquals(FairQueue.Refusal.NONE, q.offer("flood", 1));
        assertEquals(FairQueue.Refusal.NONE, q.offer("flood", 2));
        assertEquals(FairQueue.Refusal.KEY_FULL, q.offer("flood", 3));
        assertEquals(FairQueue.Refusal.NONE, q.offer("acme", 1));
        assertEquals(FairQueue.Refusal.NONE, q.offer("globex", 1));
        assertEquals(FairQueue.Refusal.FULL, q.offer("initech", 1));
    }

    @Test
    void poll_keepsEachKeysOrder_andTimesOutWhenEmpty() throws Exception {
        FairQueue<Integer> q = new FairQueue<>(10, 10);
        for (int i = 0; i < 3; i++) {
            q.offer("a", i);
        }
        assertEquals(0, q.poll(1, TimeUnit.MILLISECONDS));
        assertEquals(1, q.poll(1, TimeUnit.MILLISECONDS));
        assertEquals(2, q.poll(1, TimeUnit.MILLISECONDS));
        assertNull(q.poll(10, TimeUnit.MILLISECONDS));
        assertEquals(0, q.size());
    }

    @Test
    void poll_wakesWhenAnItemArrives() throws Exception {
        FairQueue<String> q = new FairQueue<>(10, 10);
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
            q.offer("a", "x");
        });
        t.start();
        assertEquals("x", q.poll(10, TimeUnit.SECONDS));
        t.join();
    }

    @Test
    void new_withShareLargerThanCapacity_fails() {
        assertThrows(IllegalArgumentException.class, () -> new FairQueue<>(10, 11));
        assertThrows(IllegalArgumentException.class, () -> new FairQueue<>(0, 0));
    }
}
