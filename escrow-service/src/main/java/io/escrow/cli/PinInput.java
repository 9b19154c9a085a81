package io.escrow.cli;

import io.escrow.hsm.PinSource;
import java.io.Console;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;

/**
 * A PIN typed at a prompt without echo, read from a file, or taken from an environment variable;
 * the caller wipes the array it gets. PINs are never printed, and the file's bytes are wiped too.
 */
final class PinInput {
    private PinInput() {}

    /**
     * @param what    what the PIN unlocks, for the prompt and errors ("the smart card 'judge-card'")
     * @param file    --pin-file, or null
     * @param envName --pin-env, or null
     */
    static char[] read(String what, Path file, String envName) {
        if (file != null && envName != null) {
            throw CliException.usage("give one PIN source for " + what + ": --pin-file or --pin-env");
        }
        if (file != null) {
            return fromFile(what, file);
        }
        if (envName != null) {
            String v = System.getenv(envName);
            if (v == null || v.isBlank()) {
                throw CliException.usage("the environment variable " + envName + " holding the PIN of " + what + " is not set");
            }
            return v.strip().toCharArray();
        }
        Console console = System.console();
        if (console == null) {
            throw CliException.usage("no PIN for " + what + ": there is no terminal to ask on; give --pin-file or --pin-env");
        }
        char[] pin = console.readPassword("PIN for %s: ", what);
        if (pin == null || pin.length == 0) {
            throw CliException.usage("no PIN entered for " + what);
        }
        return pin;
    }

    private static char[] fromFile(String what, Path file) {
        char[] pin;
        try {
            pin = PinSource.readFile(file);
        } catch (CharacterCodingException e) {
            throw CliException.usage("the PIN file " + file + " of " + what + " is not UTF-8 text");
        } catch (IOException e) {
            throw CliException.usage("cannot read the PIN of " + what + " from " + file + ": " + CliFiles.why(e));
        }
        if (pin.length == 0) {
            throw CliException.usage("the PIN file " + file + " of " + what + " is empty");
        }
        return pin;
    }
}
