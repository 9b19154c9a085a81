package io.escrow.retirement;

import io.escrow.error.InvalidArgumentException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.bouncycastle.util.encoders.Hex;

/**
 * The line format of signed statements: a header line, then one {@code name=value} line per
 * field in a fixed order, each ending in LF, UTF-8. Only that exact shape decodes, so that one
 * meaning has one encoding and a signature covers nothing but what is shown.
 */
public final class StatementLines {
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final int MAX_BYTES = 4096;

    private StatementLines() {}

    public static byte[] encode(String header, Map<String, String> fields) {
        StringBuilder b = new StringBuilder(256).append(header).append('\n');
        fields.forEach((name, value) -> b.append(name).append('=').append(value).append('\n'));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The values of {@code names}, in order; refuses anything but that exact shape, naming {@code field}. */
    public static Map<String, String> decode(String field, String header, List<String> names, byte[] bytes) {
        if (bytes == null || bytes.length == 0 || bytes.length > MAX_BYTES) {
            throw new InvalidArgumentException(field, "must be 1-" + MAX_BYTES + " bytes");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!java.util.Arrays.equals(text.getBytes(StandardCharsets.UTF_8), bytes)) {
            throw new InvalidArgumentException(field, "is not UTF-8");
        }
        String[] lines = text.split("\n", -1);
        if (lines.length != names.size() + 2 || !lines[0].equals(header) || !lines[lines.length - 1].isEmpty()) {
            throw new InvalidArgumentException(field, "is not an " + header + " statement of " + (names.size() + 1)
                    + " lines ending in LF");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            String prefix = names.get(i) + "=";
            if (!lines[i + 1].startsWith(prefix)) {
                throw new InvalidArgumentException(field, "line " + (i + 2) + " should be " + prefix + "...");
            }
            values.put(names.get(i), lines[i + 1].substring(prefix.length()));
        }
        return values;
    }

    public static String id(String field, String name, String value) {
        if (value == null || !ID.matcher(value).matches()) {
            throw new InvalidArgumentException(field + "." + name, "must be 1-64 of [A-Za-z0-9._-], starting with a letter or digit");
        }
        return value;
    }

    public static byte[] hex(String field, String name, String value, int length) {
        if (value == null || !value.matches("([0-9a-f]{2})+") || value.length() != 2 * length) {
            throw new InvalidArgumentException(field + "." + name, "must be " + length + " bytes in lowercase hex");
        }
        return Hex.decode(value);
    }

    public static long seconds(String field, String name, String value) {
        if (value == null || !value.matches("[1-9][0-9]{0,11}")) {
            throw new InvalidArgumentException(field + "." + name, "must be Unix seconds in decimal");
        }
        return Long.parseLong(value);
    }
}
