package io.escrow.note;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A C2SP signed note (c2sp.org/signed-note): a text ending in a newline, a blank line, and one
 * or more signature lines. Parsing checks the format only; {@link NoteVerifier} checks signatures.
 */
public final class SignedNote {
    /** Signatures accepted in one note; the spec requires at least 16. */
    public static final int MAX_SIGNATURES = 100;
    /** Largest note accepted, well above 100 post-quantum signatures. */
    public static final int MAX_BYTES = 1 << 20;

    private final String text;
    private final List<NoteSignature> signatures;

    private SignedNote(String text, List<NoteSignature> signatures) {
        this.text = text;
        this.signatures = List.copyOf(signatures);
    }

    /** A note of {@code text} with {@code signatures}; text must end in a newline. */
    public static SignedNote of(String text, List<NoteSignature> signatures) {
        checkText(text);
        if (signatures.isEmpty()) {
            throw new NoteFormatException("a signed note needs at least one signature");
        }
        if (signatures.size() > MAX_SIGNATURES) {
            throw new NoteFormatException("a note may carry at most " + MAX_SIGNATURES + " signatures");
        }
        return new SignedNote(text, signatures);
    }

    public static SignedNote parse(byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            throw new NoteFormatException("a note is larger than " + MAX_BYTES + " bytes");
        }
        String all = decodeUtf8(bytes);
        int split = all.lastIndexOf("\n\n");
        if (split < 0) {
            throw new NoteFormatException("a signed note needs a blank line between its text and its signatures");
        }
        String text = all.substring(0, split + 1);
        String block = all.substring(split + 2);
        if (block.isEmpty() || !block.endsWith("\n")) {
            throw new NoteFormatException("the signature lines of a note must be present and end in a newline");
        }
        List<NoteSignature> sigs = new ArrayList<>();
        for (String line : block.substring(0, block.length() - 1).split("\n", -1)) {
            if (sigs.size() == MAX_SIGNATURES) {
                throw new NoteFormatException("a note may carry at most " + MAX_SIGNATURES + " signatures");
            }
            sigs.add(NoteSignature.parseLine(line));
        }
        return of(text, sigs);
    }

    /** The text that signatures cover, including its final newline. */
    public String text() {
        return text;
    }

    public byte[] textBytes() {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    public List<NoteSignature> signatures() {
        return signatures;
    }

    /** This note with {@code more} signatures appended, skipping any it already carries. */
    public SignedNote withSignatures(List<NoteSignature> more) {
        List<NoteSignature> all = new ArrayList<>(signatures);
        for (NoteSignature s : more) {
            if (!all.contains(s)) {
                all.add(s);
            }
        }
        return of(text, all);
    }

    public byte[] encode() {
        StringBuilder b = new StringBuilder(text).append('\n');
        signatures.forEach(s -> b.append(s.line()));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static void checkText(String text) {
        if (text.isEmpty() || !text.endsWith("\n")) {
            throw new NoteFormatException("a note's text must end in a newline");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\n') {
                throw new NoteFormatException("a note must not contain control characters other than newline");
            }
        }
    }

    /** {@code bytes} as UTF-8, or NoteFormatException: never with replacement characters. */
    public static String decodeUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new NoteFormatException("a note must be valid UTF-8");
        }
    }

    @Override
    public String toString() {
        return new String(encode(), StandardCharsets.UTF_8);
    }
}
