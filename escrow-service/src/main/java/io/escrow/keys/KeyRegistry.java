package io.escrow.keys;

import io.escrow.threshold.KeyRecord;
import java.util.List;
import java.util.Optional;

/** The public records of every escrow key the ceremonies created. Old keys are never removed. */
public interface KeyRegistry {

    /** The key for {@code keyId}, or {@link UnknownKeyException}. */
    KeyRecord require(String keyId);

    Optional<KeyRecord> find(String keyId);

    /** The key that new deposits should use: the most recently created. */
    Optional<KeyRecord> current();

    List<KeyRecord> all();

    /** Re-reads the records now, ignoring any caching (another process may have added a key). */
    void refresh();

    /** Records a new key; a key_id can be added only once. */
    void add(KeyRecord record);
}
