package io.escrow.client;

/**
 * Hooks for the provider's own metrics (Micrometer, Prometheus, logs). Every method has a no-op
 * default; they are called on the client's threads and must return quickly.
 */
public interface ClientMetrics {
    ClientMetrics NONE = new ClientMetrics() {};

    /** A receipt arrived, {@code nanos} after {@code deposit} was called. */
    default void receipt(long nanos) {}

    /** A deposit failed for good. */
    default void failed(DepositException.Reason reason) {}

    /** A stream ended with {@code cause} and {@code resent} unacknowledged deposits go out again on a new one. */
    default void reconnecting(String cause, int resent) {}

    /** The key new deposits are sealed to is now {@code keyId} (its attestations verified). */
    default void keyInUse(String keyId) {}
}
