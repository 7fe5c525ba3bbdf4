package net.palisade.ops.client;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A point in time as the CLI takes it: an ISO-8601 instant ({@code 2026-11-27T03:12:00Z}, or with an offset
 * {@code 2026-11-27T04:12:00+01:00}), a date ({@code 2026-11-27}: midnight UTC), {@code now}, or relative to now
 * ({@code -30m}, {@code -1h}, {@code -2d}, {@code -1h30m}; units s, m, h, d, w).
 */
public final class TimeArg {
    private static final Pattern RELATIVE = Pattern.compile("-((?:\\d{1,9}[smhdw])+)");
    private static final Pattern PART = Pattern.compile("(\\d{1,9})([smhdw])");

    private TimeArg() {}

    /**
     * @param option the option's name, for the message
     * @throws CliFailure (exit 2) for anything else
     */
    public static Instant parse(String option, String text, Clock clock) {
        String t = text.strip();
        if (t.equalsIgnoreCase("now")) {
            return clock.instant();
        }
        Matcher rel = RELATIVE.matcher(t);
        if (rel.matches()) {
            Duration back = Duration.ZERO;
            Matcher part = PART.matcher(rel.group(1));
            while (part.find()) {
                long n = Long.parseLong(part.group(1));
                back = back.plus(switch (part.group(2)) {
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> Duration.ofDays(7 * n);
                });
            }
            return clock.instant().minus(back);
        }
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException e) {
            // try the other forms
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            // try the other forms
        }
        try {
            return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
            throw CliFailure.usage(option + ": not a time: '" + text + "' (give an ISO-8601 instant such as"
                    + " 2026-11-27T03:12:00Z, a date, now, or a time back from now such as -30m, -1h, -2d)");
        }
    }
}
