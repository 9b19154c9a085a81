package io.escrow.hsm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Where a token's PIN comes from: a file (mode 0600, as provisioning writes it) or an environment
 * variable (as a Kubernetes Secret injects it). The PIN is read only when a session is opened and
 * is never printed.
 */
public sealed interface PinSource permits PinSource.FilePin, PinSource.EnvPin, PinSource.Withheld, PinSource.Memory {

    /** Reads the PIN; the caller wipes the returned array. */
    char[] read(String custodianId);

    static PinSource file(Path path) {
        return new FilePin(path);
    }

    static PinSource env(String variable) {
        return new EnvPin(variable, System::getenv);
    }

    /** No PIN: the service must not log in to this token except with a custodian's own credential. */
    static PinSource withheld() {
        return new Withheld();
    }

    /** A credential a custodian presented, held only in memory; wipe it with {@link Memory#wipe}. */
    static Memory memory(char[] pin) {
        return new Memory(pin.clone());
    }

    record Withheld() implements PinSource {
        @Override
        public char[] read(String custodianId) {
            throw new HsmException.PinUnavailable(custodianId, "the service holds no PIN for custodian " + custodianId
                    + "; its share is usable only under the custodian's activation");
        }
    }

    /** An in-memory credential. Never printed; {@link #wipe} overwrites it. */
    final class Memory implements PinSource {
        private final char[] pin;

        private Memory(char[] pin) {
            this.pin = pin;
        }

        @Override
        public char[] read(String custodianId) {
            return pin.clone();
        }

        public void wipe() {
            Arrays.fill(pin, '\0');
        }

        @Override
        public String toString() {
            return "PinSource.memory(redacted)";
        }
    }

    record FilePin(Path path) implements PinSource {
        @Override
        public char[] read(String custodianId) {
            try {
                char[] pin = readFile(path);
                if (pin.length == 0) {
                    throw new HsmException.PinUnavailable(custodianId, "PIN file " + path + " is empty");
                }
                return pin;
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new HsmException.PinUnavailable(custodianId, "PIN file " + path + " is not UTF-8 text");
            } catch (IOException e) {
                throw new HsmException.PinUnavailable(custodianId, "cannot read PIN file " + path + ": " + e.getClass().getSimpleName());
            }
        }

        @Override
        public String toString() {
            return "PinSource.file(" + path + ")";
        }
    }

    /**
     * A PIN file's text without surrounding white space, decoded straight into a char array: no
     * String copy is made, and the file's bytes and the decoding buffer are wiped. Empty when the
     * file holds only white space; the caller wipes the result.
     *
     * @throws java.nio.charset.CharacterCodingException when the file is not UTF-8
     */
    public static char[] readFile(Path path) throws IOException {
        byte[] raw = Files.readAllBytes(path);
        java.nio.CharBuffer chars = null;
        try {
            chars = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(raw));
            int start = 0;
            int end = chars.limit();
            while (start < end && Character.isWhitespace(chars.get(start))) {
                start++;
            }
            while (end > start && Character.isWhitespace(chars.get(end - 1))) {
                end--;
            }
            char[] pin = new char[end - start];
            chars.position(start);
            chars.get(pin);
            return pin;
        } finally {
            Arrays.fill(raw, (byte) 0);
            if (chars != null && chars.hasArray()) {
                Arrays.fill(chars.array(), '\0');
            }
        }
    }

    record EnvPin(String variable, Function<String, String> env) implements PinSource {
        @Override
        public char[] read(String custodianId) {
            String v = env.apply(variable);
            if (v == null || v.isBlank()) {
                throw new HsmException.PinUnavailable(custodianId, "environment variable " + variable + " holding the PIN is not set");
            }
            return v.strip().toCharArray();
        }

        @Override
        public String toString() {
            return "PinSource.env(" + variable + ")";
        }
    }
}
