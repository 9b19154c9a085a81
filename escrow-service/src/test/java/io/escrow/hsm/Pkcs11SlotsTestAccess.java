package io.escrow.hsm;

import java.nio.file.Path;

/** Test-only: the slot of a token label, for tests that set up a token by hand. */
public final class Pkcs11SlotsTestAccess {
    private Pkcs11SlotsTestAccess() {}

    public static long slotOf(String label, Path library) {
        return Pkcs11Slots.slotOf(label, library, label);
    }
}
