package org.unmask.study;

import java.util.Locale;

/** The mean of a figure over seeds with its range, written "mean (min–max)". */
public record Spread(double mean, double min, double max, int n) {

    /** The spread of {@code values} (NaNs ignored; all NaN gives NaN). */
    public static Spread of(double... values) {
        double sum = 0, lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        int n = 0;
        for (double v : values) {
            if (Double.isNaN(v)) continue;
            sum += v; lo = Math.min(lo, v); hi = Math.max(hi, v); n++;
        }
        return n == 0 ? new Spread(Double.NaN, Double.NaN, Double.NaN, 0) : new Spread(sum / n, lo, hi, n);
    }

    /** "mean (min–max)" with {@code decimals} decimals; the mean alone for one value. */
    public String format(int decimals) {
        if (n == 0) return "n/a";
        String f = "%." + decimals + "f";
        if (n == 1) return String.format(Locale.ROOT, f, mean);
        return String.format(Locale.ROOT, f + " (" + f + "–" + f + ")", mean, min, max);
    }
}
