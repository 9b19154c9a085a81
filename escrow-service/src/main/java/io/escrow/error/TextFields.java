package io.escrow.error;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The one check for identifier-like request strings (subject ids, record ids, case references):
 * present, bounded in UTF-8 bytes, valid UTF-8, and free of control and format characters, so
 * that they print unambiguously and cannot smuggle line breaks into signed or logged text.
 */
public final class TextFields {
    private TextFields() {}

    public static void requirePrintable(String field, String value, int maxBytes) {
        if (value == null || value.isEmpty()) {
            throw new InvalidArgumentException(field, "is required");
        }
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > maxBytes) {
            throw new InvalidArgumentException(field, "has " + utf8.length + " bytes; at most " + maxBytes + " are allowed");
        }
        try {
            // Protobuf replaces invalid UTF-8 with U+FFFD; a strict round trip catches both that and lone surrogates.
            CharBuffer decoded = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8));
            if (decoded.chars().anyMatch(ch -> ch == 0xFFFD) || !decoded.toString().equals(value)) {
                throw new CharacterCodingException();
            }
        } catch (CharacterCodingException e) {
            throw new InvalidArgumentException(field, "is not valid UTF-8");
        }
        if (value.codePoints().anyMatch(cp -> Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT
                || !Character.isDefined(cp))) {
            throw new InvalidArgumentException(field, "contains control or unassigned characters");
        }
    }
}
