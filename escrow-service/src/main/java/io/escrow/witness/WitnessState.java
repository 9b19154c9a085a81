package io.escrow.witness;

import io.escrow.note.Checkpoint;
import io.escrow.note.SignedNote;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The latest checkpoint a witness cosigned, per log origin, in a directory: one file per origin
 * holding the signed note as submitted. A save writes a temporary file, forces it to disk,
 * renames it over the old one and forces the directory, so that after a crash (kill -9, power
 * loss) the file holds either the old or the new checkpoint, never a torn one, and a cosignature
 * is only returned for a checkpoint already on disk. A lock file keeps a second witness process
 * off the same directory.
 */
public final class WitnessState implements AutoCloseable {
    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private WitnessState(Path dir, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    public static WitnessState open(Path dir) throws IOException {
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // this process already serves it
        }
        if (lock == null) {
            ch.close();
            throw new IOException("another witness is using the state directory " + dir);
        }
        return new WitnessState(dir, ch, lock);
    }

    /** The latest cosigned checkpoint of {@code origin}, if any. */
    public Optional<Stored> latest(String origin) {
        Path f = file(origin);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        try {
            SignedNote note = SignedNote.parse(Files.readAllBytes(f));
            Checkpoint cp = Checkpoint.parse(note);
            if (!cp.origin().equals(origin)) {
                throw new IOException(f + " holds a checkpoint of '" + cp.origin() + "', not of '" + origin + "'");
            }
            return Optional.of(new Stored(cp, note));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the witness state " + f, e);
        }
    }

    /** Durably replaces the latest checkpoint of its origin with {@code note}. */
    public void save(SignedNote note) {
        Checkpoint cp = Checkpoint.parse(note);
        Path target = file(cp.origin());
        Path tmp = dir.resolve(target.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(note.encode());
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the state directory " + dir + " cannot rename atomically", e);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the witness state " + target, e);
        }
    }

    private Path file(String origin) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(origin.getBytes(StandardCharsets.UTF_8));
            return dir.resolve(HexFormat.of().formatHex(h, 0, 16) + ".checkpoint");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException {
        lock.release();
        lockChannel.close();
    }

    public record Stored(Checkpoint checkpoint, SignedNote note) {}
}
