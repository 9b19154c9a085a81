package io.escrow.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Times on the command line and in spec files: an ISO-8601 instant (2026-12-01T00:00:00Z), epoch
 * seconds, or {@code now} with an optional offset in days, hours, minutes or seconds ({@code now-2h},
 * {@code now+30d}).
 */
final class TimeArgs {
    private static final Pattern RELATIVE = Pattern.compile("now(?:([+-])(\\d{1,9})([smhd]))?");

    private TimeArgs() {}

    /** --token-latency (2ms, 500us, PT0.002S; 0 to 1 s), or a usage error. */
    static java.time.Duration tokenLatency(String value) {
        try {
            return io.escrow.bench.DelayedShareToken.parse("--token-latency", value);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    static long epochSeconds(String what, String value, Instant now) {
        String v = value.strip();
        Matcher m = RELATIVE.matcher(v);
        if (m.matches()) {
            if (m.group(1) == null) {
                return now.getEpochSecond();
            }
            long n = Long.parseLong(m.group(2));
            Duration d = switch (m.group(3)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return (m.group(1).equals("+") ? now.plus(d) : now.minus(d)).getEpochSecond();
        }
        if (v.matches("\\d{1,12}")) {
            return Long.parseLong(v);
        }
        try {
            return Instant.parse(v).getEpochSecond();
        } catch (DateTimeParseException e) {
            throw CliException.usage(what + ": '" + value + "' is not a time; write 2026-12-01T00:00:00Z, epoch seconds, "
                    + "now, or now+30d / now-2h");
        }
    }
}
