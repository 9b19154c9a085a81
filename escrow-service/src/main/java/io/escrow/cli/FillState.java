package io.escrow.cli;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;

/**
 * What an {@code escrowctl load --fill} has done: the seed of its deposit pool and, per stream,
 * the next index whose receipt has not arrived. Kept in a small properties file, written beside
 * and moved into place, so that a killed fill never leaves half of one.
 */
record FillState(byte[] seed, long[] next) {
    FillState {
        if (seed.length != 32 || next.length != FillLoad.STREAMS) {
            throw new IllegalArgumentException("a 32-byte seed and " + FillLoad.STREAMS + " stream positions");
        }
        seed = seed.clone();
        next = next.clone();
    }

    /** Deposits acknowledged: stream s has sent s, s + 4, ... up to its next index. */
    long acknowledged() {
        long n = 0;
        for (int s = 0; s < FillLoad.STREAMS; s++) {
            n += (next[s] - s) / FillLoad.STREAMS;
        }
        return n;
    }

    static FillState fresh() {
        byte[] seed = new byte[32];
        new SecureRandom().nextBytes(seed);
        long[] next = new long[FillLoad.STREAMS];
        for (int s = 0; s < FillLoad.STREAMS; s++) {
            next[s] = s;
        }
        return new FillState(seed, next);
    }

    /** The fill recorded in {@code file} for {@code keyId}, or a fresh one (saved at once) if there is none. */
    static FillState loadOrCreate(Path file, String keyId) throws IOException {
        if (!Files.exists(file)) {
            FillState s = fresh();
            s.save(file, keyId);
            return s;
        }
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(file)));
        if (!keyId.equals(p.getProperty("key_id"))) {
            throw CliException.usage(file + " belongs to a fill under key " + p.getProperty("key_id") + ", not " + keyId
                    + "; pass another --fill-state or delete it");
        }
        try {
            long[] next = new long[FillLoad.STREAMS];
            for (int s = 0; s < FillLoad.STREAMS; s++) {
                next[s] = Long.parseLong(p.getProperty("next." + s));
                if (next[s] < s || next[s] % FillLoad.STREAMS != s) {
                    throw new IllegalArgumentException("next." + s + " = " + next[s] + " is not a position of stream " + s);
                }
            }
            return new FillState(HexFormat.of().parseHex(p.getProperty("seed")), next);
        } catch (RuntimeException e) {
            throw CliException.usage(file + " is not a fill state file (" + e.getMessage() + "); delete it to start over");
        }
    }

    void save(Path file, String keyId) throws IOException {
        StringBuilder b = new StringBuilder("# escrowctl load --fill: the seed of the deposit pool, and per stream the next index\n");
        b.append("key_id=").append(keyId).append('\n');
        b.append("seed=").append(HexFormat.of().formatHex(seed)).append('\n');
        for (int i = 0; i < FillLoad.STREAMS; i++) {
            b.append("next.").append(i).append('=').append(next[i]).append('\n');
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        Files.writeString(tmp, b);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
