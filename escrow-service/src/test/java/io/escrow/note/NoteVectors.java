package io.escrow.note;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Reads the vectors of src/test/resources/note (see its README for their sources). */
final class NoteVectors {
    private NoteVectors() {}

    static byte[] bytes(String name) {
        try (InputStream in = NoteVectors.class.getResourceAsStream("/note/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test vector note/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String line(String name) {
        return new String(bytes(name), StandardCharsets.UTF_8).strip();
    }
}
