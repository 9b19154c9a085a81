package io.escrow.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.escrow.testing.TestTokens;
import org.junit.jupiter.api.Test;
import sun.security.pkcs11.wrapper.PKCS11;

class Pkcs11SlotsTest {

    /**
     * The module must be initialised for OS locking. Initialised without it, SoftHSM turns its
     * own mutexes off, and the JDK then serialises calls only per wrapper instance; a login on
     * one thread and a signature on another crashed the JVM inside SoftHSM at service start.
     */
    @Test
    void module_isInitialisedForMultithreadedUse() {
        PKCS11 module = Pkcs11Slots.module("locking", TestTokens.LIBRARY);
        // The JDK wraps a module initialised without CKF_OS_LOCKING_OK in SynchronizedPKCS11.
        assertEquals(PKCS11.class, module.getClass());
        assertSame(module, Pkcs11Slots.module("locking", TestTokens.LIBRARY));
    }
}
