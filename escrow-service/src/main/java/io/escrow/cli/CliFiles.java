package io.escrow.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading and writing the files a command line names, with errors that say which option and why. */
final class CliFiles {
    private CliFiles() {}

    /** The file's bytes; a missing or unreadable file is a usage error naming {@code option}. */
    static byte[] read(String option, Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw CliException.usage(option + " " + file + ": " + why(e));
        }
    }

    /** Fails as a usage error unless {@code file} is a readable regular file. */
    static Path requireReadable(String option, Path file) {
        if (file != null && !(Files.isRegularFile(file) && Files.isReadable(file))) {
            throw CliException.usage(option + " " + file + ": " + (Files.exists(file) ? "not a readable file" : "no such file"));
        }
        return file;
    }

    static void write(String option, Path file, byte[] content) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.write(file, content);
        } catch (IOException e) {
            throw CliException.usage(option + " " + file + ": cannot write: " + why(e));
        }
    }

    static String why(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
