package io.escrow.hsm;

import io.escrow.threshold.CustodianFailureException;

/**
 * A PKCS#11 token could not be opened or used. Subclasses name the exact problem; all of them
 * name the token and none carries a PIN.
 */
public class HsmException extends CustodianFailureException {
    public HsmException(String custodianId, String problem) {
        super(custodianId, problem);
    }

    public HsmException(String custodianId, String problem, Throwable cause) {
        super(custodianId, problem, cause);
    }

    /** The PKCS#11 library file is missing or cannot be loaded. */
    public static final class MissingLibrary extends HsmException {
        public MissingLibrary(String custodianId, String library, String why) {
            super(custodianId, "PKCS#11 library " + library + " " + why);
        }
    }

    /** No token with the configured label is present in any slot of the library. */
    public static final class TokenNotFound extends HsmException {
        public TokenNotFound(String custodianId, String label, String library, java.util.List<String> present) {
            super(custodianId, "no token labelled '" + label + "' in " + library
                    + (present.isEmpty() ? " (no initialised tokens)" : " (present: " + present + ")"));
        }
    }

    /** The token rejected the PIN. */
    public static final class WrongPin extends HsmException {
        public WrongPin(String custodianId, String label, String code) {
            super(custodianId, "token '" + label + "' rejected the PIN (" + code + ")");
        }
    }

    /** The PIN source (file or environment variable) is missing or empty. */
    public static final class PinUnavailable extends HsmException {
        public PinUnavailable(String custodianId, String problem) {
            super(custodianId, problem);
        }
    }
}
