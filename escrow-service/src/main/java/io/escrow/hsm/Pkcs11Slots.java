package io.escrow.hsm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

/**
 * Finds a token's slot by its label. SunPKCS11 can only be configured with a slot number or
 * index, so the lookup uses the JDK's own PKCS#11 wrapper (shared with SunPKCS11, which reuses
 * the same initialised module). Needs
 * {@code --add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED}.
 */
public final class Pkcs11Slots {
    private static final long CKF_OS_LOCKING_OK = 0x2, CKR_CANT_LOCK = 0xA;

    private Pkcs11Slots() {}

    static PKCS11 module(String custodianId, Path library) {
        if (!Files.isRegularFile(library)) {
            throw new HsmException.MissingLibrary(custodianId, library.toString(), "does not exist");
        }
        if (!Files.isReadable(library)) {
            throw new HsmException.MissingLibrary(custodianId, library.toString(), "is not readable");
        }
        try {
            return initialise(library);
        } catch (IllegalAccessError e) {
            throw new IllegalStateException("start the JVM with "
                    + "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED", e);
        } catch (Exception | UnsatisfiedLinkError e) {
            throw new HsmException.MissingLibrary(custodianId, library.toString(), "cannot be loaded: " + e.getMessage());
        }
    }

    /**
     * The JDK initialises a module once per process, with the arguments of the first caller, and
     * SunPKCS11 reuses it. Without CKF_OS_LOCKING_OK SoftHSM turns its own mutexes off and the JDK
     * serialises calls only per wrapper instance, which let a login on one thread and a signature
     * on another corrupt SoftHSM's handle table. So ask for OS locking, as SunPKCS11 itself does,
     * and fall back to single-threaded use only for a module that cannot lock.
     */
    private static PKCS11 initialise(Path library) throws java.io.IOException, PKCS11Exception {
        CK_C_INITIALIZE_ARGS locking = new CK_C_INITIALIZE_ARGS();
        locking.flags = CKF_OS_LOCKING_OK;
        try {
            return PKCS11.getInstance(library.toString(), "C_GetFunctionList", locking, false);
        } catch (PKCS11Exception e) {
            if (e.getErrorCode() != CKR_CANT_LOCK) {
                throw e;
            }
            return PKCS11.getInstance(library.toString(), "C_GetFunctionList", null, false);
        }
    }

    /**
     * The slot holding the token labelled {@code label}. A slot whose token cannot be read (for
     * example one removed while the library was loaded) is skipped, so one dead token never hides
     * the others.
     */
    static long slotOf(String custodianId, Path library, String label) {
        PKCS11 p11 = module(custodianId, library);
        List<String> present = new ArrayList<>();
        long[] slots;
        try {
            slots = p11.C_GetSlotList(true);
        } catch (PKCS11Exception e) {
            throw new HsmException(custodianId, "cannot list slots of " + library + ": " + e.getMessage(), e);
        }
        int unreadable = 0;
        for (long slot : slots) {
            String l;
            try {
                l = labelOf(p11, slot);
            } catch (PKCS11Exception e) {
                unreadable++;
                continue;
            }
            if (l.equals(label)) {
                return slot;
            }
            if (!l.isEmpty()) {
                present.add(l);
            }
        }
        if (unreadable > 0) {
            present.add(unreadable + " unreadable slot(s)");
        }
        throw new HsmException.TokenNotFound(custodianId, label, library.toString(), present);
    }

    static String labelOf(PKCS11 p11, long slot) throws PKCS11Exception {
        char[] raw = p11.C_GetTokenInfo(slot).label;
        return new String(raw).strip();
    }

    /**
     * How many sessions the token of {@code config} says it can hold at once (ulMaxSessionCount,
     * no login needed), or empty when it reports no finite number (SoftHSM: effectively infinite)
     * or cannot be read.
     */
    public static java.util.OptionalLong maxSessions(TokenConfig config) {
        try {
            long slot = slotOf(config.custodianId(), config.library(), config.label());
            long max = module(config.custodianId(), config.library()).C_GetTokenInfo(slot).ulMaxSessionCount;
            // CK_EFFECTIVELY_INFINITE is 0; CK_UNAVAILABLE_INFORMATION is all ones.
            return max <= 0 || max == 0xFFFFFFFFL || max == Long.MAX_VALUE ? java.util.OptionalLong.empty()
                    : java.util.OptionalLong.of(max);
        } catch (PKCS11Exception | RuntimeException e) {
            return java.util.OptionalLong.empty();
        }
    }

    /** Null when the token of {@code config} can be found by its label, else why not (no login needed). */
    public static String problemFinding(TokenConfig config) {
        try {
            slotOf(config.custodianId(), config.library(), config.label());
            return null;
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }
}
