package io.escrow.hsm;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How to reach one token: the PKCS#11 library, the token's label (slots are looked up by label at
 * every start, because slot numbers change between boots and HSM firmware versions), and the PIN.
 */
public record TokenConfig(String custodianId, Path library, String label, PinSource pin) {
    public TokenConfig {
        Objects.requireNonNull(custodianId, "custodianId");
        Objects.requireNonNull(library, "library");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(pin, "pin");
        if (label.isBlank() || label.length() > 32) {
            throw new IllegalArgumentException("token label for " + custodianId + " must be 1-32 characters");
        }
    }
}
