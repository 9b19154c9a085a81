package io.escrow.keys;

import io.escrow.config.EscrowSettings;
import io.escrow.hsm.CustodianTokens;
import io.escrow.threshold.KeyAlreadyExistsException;
import io.escrow.threshold.KeyCeremony;
import io.escrow.threshold.KeyRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The key ceremony against the configured custodian tokens, recorded in the registry. Shared by
 * {@code escrowctl ceremony} and the embedded first start, so both do exactly the same thing.
 * A file lock keeps two processes on one data directory from running ceremonies at once.
 */
public final class ConfiguredCeremony {
    private ConfiguredCeremony() {}

    /** Runs a ceremony for {@code keyId}; fails if that key_id exists. */
    public static KeyRecord run(EscrowSettings settings, CustodianTokens tokens, KeyRegistry registry,
                                String keyId, Consumer<String> progress) {
        return locked(settings, registry, () -> create(settings, tokens, registry, keyId, progress));
    }

    /** Runs the first ceremony unless a key already exists; returns the key created, if any. */
    public static Optional<KeyRecord> runIfNoKey(EscrowSettings settings, CustodianTokens tokens, KeyRegistry registry,
                                                 Consumer<String> progress) {
        return locked(settings, registry, () -> registry.current().isPresent()
                ? Optional.empty()
                : Optional.of(create(settings, tokens, registry, settings.initialKeyId(), progress)));
    }

    private static KeyRecord create(EscrowSettings settings, CustodianTokens tokens, KeyRegistry registry,
                                    String keyId, Consumer<String> progress) {
        if (registry.find(keyId).isPresent()) {
            throw new KeyAlreadyExistsException("key " + keyId + " already exists; choose a new key_id to rotate");
        }
        KeyRecord record = new KeyCeremony(new SecureRandom(), Clock.systemUTC(), progress)
                .run(keyId, settings.thresholdParameters(), tokens.requireAll());
        registry.add(record);
        progress.accept("key " + keyId + " recorded in " + settings.keyDir());
        return record;
    }

    private static <T> T locked(EscrowSettings settings, KeyRegistry registry, java.util.function.Supplier<T> action) {
        try {
            java.nio.file.Files.createDirectories(settings.keyDir());
            try (FileChannel ch = FileChannel.open(settings.keyDir().resolve(".ceremony.lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                // Another process may have finished a ceremony while we waited for the lock.
                registry.refresh();
                return action.get();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + settings.keyDir(), e);
        }
    }
}
