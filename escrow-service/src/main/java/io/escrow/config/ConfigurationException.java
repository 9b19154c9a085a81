package io.escrow.config;

import io.escrow.error.EscrowException;

/** The configuration is missing a value or holds one that cannot work; names the key. */
public final class ConfigurationException extends EscrowException {
    public ConfigurationException(String message) {
        super(Category.FAILED_PRECONDITION, "configuration: " + message);
    }
}
