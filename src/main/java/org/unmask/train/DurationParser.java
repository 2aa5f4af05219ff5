package org.unmask.train;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses {@code --time} values such as {@code 15m}, {@code 90s}, {@code 1h30m}, {@code 2h} or ISO {@code PT15M}. */
public final class DurationParser {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|h|m|s)");

    private DurationParser() {}

    /** The duration, or an IllegalArgumentException naming the bad value. */
    public static Duration parse(String text) {
        String s = text.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.startsWith("pt")) {
            try { return positive(Duration.parse(s.toUpperCase(java.util.Locale.ROOT)), text); }
            catch (java.time.format.DateTimeParseException e) { throw bad(text); }
        }
        Matcher m = PART.matcher(s);
        int at = 0;
        double millis = 0;
        while (at < s.length() && m.find(at) && m.start() == at) {
            double v = Double.parseDouble(m.group(1));
            millis += v * switch (m.group(2)) {
                case "h" -> 3_600_000.0;
                case "m" -> 60_000.0;
                case "s" -> 1_000.0;
                default -> 1.0;
            };
            at = m.end();
        }
        if (at != s.length() || s.isEmpty()) throw bad(text);
        return positive(Duration.ofMillis(Math.round(millis)), text);
    }

    private static Duration positive(Duration d, String text) {
        if (d.isZero() || d.isNegative()) throw new IllegalArgumentException("--time must be positive, got '" + text + "'");
        return d;
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("--time: cannot read '" + text + "' (examples: 15m, 90s, 1h30m, PT15M)");
    }

    /** Short human form, e.g. {@code 1h02m}, {@code 3m05s}, {@code 42s}. */
    public static String format(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s >= 3600) return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
        if (s >= 60) return String.format("%dm%02ds", s / 60, s % 60);
        return s + "s";
    }
}
