package io.escrow.recovery;

/** Where a recovery sends its keys: the client's stream, with its flow control. */
public interface RecoverySink {
    /** Blocks until the client can take more; false when the client has gone away. */
    boolean awaitReady() throws InterruptedException;

    void send(RecoveredKey key);
}
