package net.palisade.model;

import java.time.Duration;

/**
 * The DURATION syntax of the config language (also accepted as a JSON string): plain seconds ({@code 3600}) or a
 * number with one suffix {@code s}, {@code m}, {@code h} or {@code d} ({@code 30s}, {@code 45m}, {@code 8h},
 * {@code 1d}). Bounds are checked by the validator, not here.
 */
public final class Durations {
    private Durations() {}

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException saying what is expected, for anything else (including 0 and overflow)
     */
    public static Duration parse(String text) {
        String t = text;
        long unit = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 's' -> unit = 1;
                case 'm' -> unit = 60;
                case 'h' -> unit = 3600;
                case 'd' -> unit = 86400;
                default -> unit = 0;
            }
            if (unit != 0) {
                t = t.substring(0, t.length() - 1);
            } else {
                unit = 1;
            }
        }
        if (t.isEmpty() || t.length() > 9 || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException(
                    "expected seconds or a number with s, m, h or d (e.g. 3600, 45m, 8h), found '" + text + "'");
        }
        long v = Long.parseLong(t) * unit;
        if (v == 0) {
            throw new IllegalArgumentException("must be positive, found '" + text + "'");
        }
        return Duration.ofSeconds(v);
    }

    /** The shortest exact text: {@code 1d}, {@code 4h}, {@code 45m}, else seconds with {@code s}. */
    public static String format(Duration d) {
        long s = d.getSeconds();
        if (s != 0 && s % 86400 == 0) {
            return s / 86400 + "d";
        }
        if (s != 0 && s % 3600 == 0) {
            return s / 3600 + "h";
        }
        if (s != 0 && s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
