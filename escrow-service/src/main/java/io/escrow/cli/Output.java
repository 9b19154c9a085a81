package io.escrow.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/**
 * How a client command prints its result: text for people by default, or with {@code --json}
 * exactly one JSON document on stdout for scripts. Progress and warnings go to stderr either way.
 */
final class Output {
    /** Maps keep their insertion order, so documents read in the same order as the text. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--json", description = "Print one JSON document for scripts instead of text.")
    boolean json;

    /** Prints {@code document} as JSON with --json, else runs {@code text}. */
    void print(Object document, Consumer<PrintStream> text) {
        if (json) {
            System.out.println(toJson(document));
        } else {
            text.accept(System.out);
        }
    }

    static String toJson(Object document) {
        try {
            return JSON.writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot print the result as JSON: " + e.getMessage(), e);
        }
    }
}
