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
                byte[] raw = Files.readAllBytes(path);
                try {
                    String s = new String(raw, StandardCharsets.UTF_8).strip();
                    if (s.isEmpty()) {
                        throw new HsmException.PinUnavailable(custodianId, "PIN file " + path + " is empty");
                    }
                    return s.toCharArray();
                } finally {
                    Arrays.fill(raw, (byte) 0);
                }
            } catch (IOException e) {
                throw new HsmException.PinUnavailable(custodianId, "cannot read PIN file " + path + ": " + e.getClass().getSimpleName());
            }
        }

        @Override
        public String toString() {
            return "PinSource.file(" + path + ")";
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
