package io.escrow.threshold;

import java.util.Objects;

/** One Shamir share: the polynomial's value at {@code index} (1-based). Never prints its value. */
public final class ShamirShare {
    private final int index;
    private final SecretScalar value;

    public ShamirShare(int index, SecretScalar value) {
        if (index < 1 || index > ThresholdParameters.MAX_CUSTODIANS) {
            throw new IllegalArgumentException("share index " + index + " is outside 1.." + ThresholdParameters.MAX_CUSTODIANS);
        }
        this.index = index;
        this.value = Objects.requireNonNull(value, "value");
    }

    public int index() {
        return index;
    }

    public SecretScalar value() {
        return value;
    }

    @Override
    public String toString() {
        return "ShamirShare[index=" + index + ", value=redacted]";
    }
}
