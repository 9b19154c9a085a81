package io.escrow.witness;

import io.escrow.note.NoteFormatException;
import io.escrow.note.VerifierKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * A witness key in a file, in the signer-key format of golang.org/x/mod/sumdb/note
 * ({@code PRIVATE+KEY+<name>+<hex key ID>+base64(0x01 || 32-byte seed)}), which other witness
 * software reads too. The file must be readable by its owner only (mode 0600 or stricter).
 */
public final class KeyFileCosigner implements Cosigner {
    private static final String PREFIX = "PRIVATE+KEY+";

    private final String name;
    private final byte[] seed;
    private final byte[] publicKey;

    private KeyFileCosigner(String name, byte[] seed) {
        this.name = name;
        this.seed = seed;
        this.publicKey = new byte[Ed25519.PUBLIC_KEY_SIZE];
        Ed25519.generatePublicKey(seed, 0, publicKey, 0);
    }

    /** Writes a new key for {@code name} to {@code file} (mode 0600; never overwrites) and returns it. */
    public static KeyFileCosigner generate(String name, Path file) throws IOException {
        byte[] seed = new byte[Ed25519.SECRET_KEY_SIZE];
        new SecureRandom().nextBytes(seed);
        KeyFileCosigner k = new KeyFileCosigner(name, seed);
        byte[] typed = new byte[33];
        typed[0] = VerifierKey.ED25519;
        System.arraycopy(seed, 0, typed, 1, 32);
        String line = PREFIX + name + "+" + String.format("%08x", VerifierKey.ed25519(name, k.publicKey).keyId()) + "+"
                + Base64.getEncoder().encodeToString(typed) + "\n";
        Arrays.fill(typed, (byte) 0);
        if (Files.exists(file)) {
            throw new FileAlreadyExistsException(file.toString(), null, "a witness key is never overwritten");
        }
        Files.write(Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                line.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
        return k;
    }

    /** Reads a key file; refuses one that group or others may read or write. */
    public static KeyFileCosigner read(Path file) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        for (PosixFilePermission p : perms) {
            if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
                throw new IOException(file + " is readable or writable by others (mode "
                        + PosixFilePermissions.toString(perms) + "); chmod 600 it");
            }
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (!text.startsWith(PREFIX)) {
            throw new NoteFormatException(file + " is not a witness key file (PRIVATE+KEY+<name>+<id>+<key>)");
        }
        String[] parts = text.substring(PREFIX.length()).split("\\+", 3);
        if (parts.length != 3) {
            throw new NoteFormatException(file + " is not a witness key file (PRIVATE+KEY+<name>+<id>+<key>)");
        }
        byte[] typed;
        try {
            typed = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new NoteFormatException(file + ": the key is not base64");
        }
        if (typed.length != 33 || typed[0] != VerifierKey.ED25519) {
            throw new NoteFormatException(file + ": the key is not an Ed25519 (type 01) key");
        }
        KeyFileCosigner k = new KeyFileCosigner(parts[0], Arrays.copyOfRange(typed, 1, 33));
        Arrays.fill(typed, (byte) 0);
        if (!parts[1].equals(String.format("%08x", VerifierKey.ed25519(parts[0], k.publicKey).keyId()))) {
            throw new NoteFormatException(file + ": the key ID does not match the key");
        }
        return k;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public byte[] signEd25519(byte[] message) {
        byte[] sig = new byte[Ed25519.SIGNATURE_SIZE];
        Ed25519.sign(seed, 0, message, 0, message.length, sig, 0);
        return sig;
    }

    @Override
    public String toString() {
        return "KeyFileCosigner[" + name + ", key hidden]";
    }
}
