package io.escrow.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.config.ConfigurationException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DepositStreamSlotsTest {
    @Test
    void acquire_beyondTheCallersSlots_failsWithoutTouchingOtherCallers() {
        DepositStreamSlots slots = new DepositStreamSlots(2);
        slots.acquire("acme");
        Runnable second = slots.acquire("acme");
        var e = assertThrows(DepositStreamSlots.TooManyStreamsException.class, () -> slots.acquire("acme"));
        assertTrue(e.getMessage().contains("acme already has 2 DepositStreams open"), e.getMessage());
        slots.acquire("globex");
        assertEquals(1, slots.open("globex"));
        second.run();
        slots.acquire("acme");
        assertEquals(2, slots.open("acme"));
    }

    @Test
    void release_twice_freesOneSlot() {
        DepositStreamSlots slots = new DepositStreamSlots(3);
        Runnable a = slots.acquire("acme");
        slots.acquire("acme");
        a.run();
        a.run();
        assertEquals(1, slots.open("acme"), "a stream that ends twice (cancel, then error) gives back one slot");
    }

    @Test
    void load_withZeroOrGarbage_fails() {
        assertThrows(ConfigurationException.class, () -> DepositStreamSlots.load(k -> Optional.of("0")));
        assertThrows(ConfigurationException.class, () -> DepositStreamSlots.load(k -> Optional.of("many")));
        assertThrows(IllegalArgumentException.class, () -> new DepositStreamSlots(0));
        assertEquals(DepositStreamSlots.DEFAULT, DepositStreamSlots.load(k -> Optional.<String>empty()).perCaller());
        assertEquals(7, DepositStreamSlots.load(k -> Optional.ofNullable(Map.of(DepositStreamSlots.KEY, "7").get(k))).perCaller());
    }
}
