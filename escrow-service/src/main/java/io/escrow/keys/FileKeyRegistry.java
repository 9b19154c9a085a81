package io.escrow.keys;

import io.escrow.threshold.KeyAlreadyExistsException;
import io.escrow.threshold.KeyId;
import io.escrow.threshold.KeyRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Key records as JSON files, {@code <dir>/<key_id>.json}, written atomically and durably. A
 * ceremony run by {@code escrowctl} in another process becomes visible on the next lookup:
 * a miss, or {@link #current()}, rescans the directory.
 */
public final class FileKeyRegistry implements KeyRegistry {
    private static final String SUFFIX = ".json";
    private final Path dir;
    /** Rescans are rate-limited: GetEscrowKey is called at deposit rates. */
    private static final long RESCAN_NANOS = 1_000_000_000L;
    private final Map<String, KeyRecord> cache = new ConcurrentHashMap<>();
    private volatile long lastScan;

    public FileKeyRegistry(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create key directory " + dir, e);
        }
        rescan();
    }

    @Override
    public KeyRecord require(String keyId) {
        KeyId.require(keyId);
        return find(keyId).orElseThrow(() -> new UnknownKeyException(keyId, cache.keySet().stream().sorted().toList()));
    }

    @Override
    public Optional<KeyRecord> find(String keyId) {
        KeyRecord r = cache.get(keyId);
        if (r == null) {
            rescanIfStale();
            r = cache.get(keyId);
        }
        return Optional.ofNullable(r);
    }

    @Override
    public Optional<KeyRecord> current() {
        rescanIfStale();
        return cache.values().stream()
                .max(Comparator.comparing(KeyRecord::createdAt).thenComparing(KeyRecord::keyId));
    }

    @Override
    public List<KeyRecord> all() {
        rescan();
        return cache.values().stream().sorted(Comparator.comparing(KeyRecord::createdAt)).toList();
    }

    @Override
    public void refresh() {
        rescan();
    }

    @Override
    public synchronized void add(KeyRecord record) {
        Path target = dir.resolve(record.keyId() + SUFFIX);
        if (Files.exists(target)) {
            throw new KeyAlreadyExistsException("key " + record.keyId() + " is already recorded in " + target);
        }
        Path tmp = dir.resolve("." + record.keyId() + SUFFIX + ".tmp");
        try {
            Files.write(tmp, KeyRecordJson.write(record));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write key record " + target, e);
        }
        cache.put(record.keyId(), record);
    }

    private void rescanIfStale() {
        if (System.nanoTime() - lastScan > RESCAN_NANOS) {
            rescan();
        }
    }

    private synchronized void rescan() {
        lastScan = System.nanoTime();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                String keyId = name.substring(0, name.length() - SUFFIX.length());
                if (!cache.containsKey(keyId)) {
                    KeyRecord r = KeyRecordJson.read(Files.readAllBytes(f));
                    if (!r.keyId().equals(keyId)) {
                        throw new IOException("file " + f + " holds key " + r.keyId());
                    }
                    cache.put(keyId, r);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read key records in " + dir + ": " + e.getMessage(), e);
        }
    }
}
