package org.unmask.views;

import org.unmask.files.AtomicFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Draws training loss (raw and smoothed) and validation loss against the step as a self-contained SVG, and, with the
 * same axes and legend, any labelled curves (the studies' loss-against-compute and quality-against-steps plots).
 */
public final class LossCurveSvg {
    /** One point of a curve. */
    public record Point(double step, double value) {}

    private static final int W = 720, H = 420, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 50;

    private LossCurveSvg() {}

    /** One labelled curve of a plot; {@code markers} puts a dot on every point. */
    public record Series(String label, String colour, double width, List<Point> points, boolean markers) {}

    /** Colours for plots of several curves, told apart in the legend. */
    public static final List<String> PALETTE = List.of("#08519c", "#d94801", "#238b45", "#6a51a3", "#a50f15", "#525252",
            "#6baed6", "#fd8d3c", "#74c476", "#9e9ac8");

    /** The SVG text for the curves; {@code title} goes on top. */
    public static String render(String title, List<Point> train, List<Point> valid) {
        return render(title, "step", "loss (nats per token)", List.of(
                new Series("train (per step)", "#9ecae1", 1, train, false),
                new Series("train (smoothed)", "#08519c", 2, smooth(train), false),
                new Series("validation", "#d94801", 2, valid, true)));
    }

    /** The SVG text for any labelled curves against a common x axis (the study plots use it). */
    public static String render(String title, String xLabel, String yLabel, List<Series> series) {
        double xMin = Double.MAX_VALUE, xMax = -Double.MAX_VALUE, yMin = Double.MAX_VALUE, yMax = -Double.MAX_VALUE;
        for (Series c : series)
            for (Point p : c.points()) {
                if (!Double.isFinite(p.value()) || !Double.isFinite(p.step())) continue;
                xMin = Math.min(xMin, p.step()); xMax = Math.max(xMax, p.step());
                yMin = Math.min(yMin, p.value()); yMax = Math.max(yMax, p.value());
            }
        if (xMin > xMax) { xMin = 0; xMax = 1; yMin = 0; yMax = 1; }
        if (xMax == xMin) xMax = xMin + 1;
        if (yMax == yMin) { yMax += 0.5; yMin -= 0.5; }
        double pad = (yMax - yMin) * 0.05;
        yMin = Math.max(0, yMin - pad); yMax += pad;
        Scale sx = new Scale(xMin, xMax, LEFT, W - RIGHT), sy = new Scale(yMin, yMax, H - BOTTOM, TOP);

        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append("<text x=\"").append(W / 2).append("\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">").append(escape(title)).append("</text>\n");
        // axes and ticks
        s.append(line(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM)).append(line(LEFT, TOP, LEFT, H - BOTTOM));
        for (int i = 0; i <= 5; i++) {
            double xv = xMin + (xMax - xMin) * i / 5, yv = yMin + (yMax - yMin) * i / 5;
            double px = sx.map(xv), py = sy.map(yv);
            s.append(line(px, H - BOTTOM, px, H - BOTTOM + 5)).append(line(LEFT - 5, py, LEFT, py));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, H - BOTTOM + 18, num(xv)));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 8, py + 4, num(yv)));
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>%n", LEFT + 1, py, W - RIGHT, py));
        }
        s.append("<text x=\"").append((LEFT + W - RIGHT) / 2).append("\" y=\"").append(H - 12).append("\" text-anchor=\"middle\">")
                .append(escape(xLabel)).append("</text>\n");
        s.append("<text transform=\"translate(18 ").append((TOP + H - BOTTOM) / 2)
                .append(") rotate(-90)\" text-anchor=\"middle\">").append(escape(yLabel)).append("</text>\n");
        for (Series c : series) {
            s.append(polyline(c.points(), sx, sy, c.colour(), c.width()));
            if (c.markers())
                for (Point p : c.points())
                    if (Double.isFinite(p.value()) && Double.isFinite(p.step()))
                        s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                                sx.map(p.step()), sy.map(p.value()), c.colour()));
        }
        // legend
        int longest = series.stream().mapToInt(c -> c.label().length()).max().orElse(10);
        int lw = Math.min(W - LEFT - RIGHT - 10, Math.max(185, 40 + 7 * longest)), lh = 6 + 16 * series.size();
        int lx = W - RIGHT - lw - 5, ly = TOP + 8;
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>%n",
                lx, ly, lw, lh));
        for (int i = 0; i < series.size(); i++) legend(s, lx + 8, ly + 14 + 16 * i, series.get(i).colour(), series.get(i).label());
        s.append("</svg>\n");
        return s.toString();
    }

    /** Writes the SVG atomically (temp file + rename). */
    public static void write(Path file, String title, List<Point> train, List<Point> valid) throws IOException {
        AtomicFile.writeString(file, render(title, train, valid));
    }

    /** Writes a plot of labelled curves atomically. */
    public static void write(Path file, String title, String xLabel, String yLabel, List<Series> series) throws IOException {
        AtomicFile.writeString(file, render(title, xLabel, yLabel, series));
    }

    private record Scale(double from, double to, double pFrom, double pTo) {
        double map(double v) { return pFrom + (v - from) / (to - from) * (pTo - pFrom); }
    }

    private static List<Point> smooth(List<Point> pts) {
        // exponential moving average with a span of about 1/20 of the curve
        double alpha = Math.min(1.0, 20.0 / Math.max(1, pts.size()));
        java.util.ArrayList<Point> out = new java.util.ArrayList<>(pts.size());
        double ema = Double.NaN;
        for (Point p : pts) {
            if (!Double.isFinite(p.value())) continue;
            ema = Double.isNaN(ema) ? p.value() : ema + alpha * (p.value() - ema);
            out.add(new Point(p.step(), ema));
        }
        return out;
    }

    private static String polyline(List<Point> pts, Scale sx, Scale sy, String colour, double width) {
        int stride = Math.max(1, pts.size() / 2000);   // keep the file small for long runs
        StringBuilder s = new StringBuilder("<polyline fill=\"none\" stroke=\"").append(colour)
                .append("\" stroke-width=\"").append(width).append("\" points=\"");
        int n = 0;
        for (int i = 0; i < pts.size(); i += stride) {
            Point p = pts.get(i);
            if (!Double.isFinite(p.value())) continue;
            s.append(String.format(Locale.ROOT, "%.1f,%.1f ", sx.map(p.step()), sy.map(p.value())));
            n++;
        }
        return n == 0 ? "" : s.append("\"/>\n").toString();
    }

    private static void legend(StringBuilder s, int x, int y, String colour, String label) {
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>", x, y - 4, x + 22, y - 4, colour));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", x + 30, y, escape(label)));
    }

    private static String line(double x1, double y1, double x2, double y2) {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>%n", x1, y1, x2, y2);
    }

    private static String num(double v) {
        double a = Math.abs(v);
        if (a != 0 && (a >= 1e5 || a < 1e-2)) return String.format(Locale.ROOT, "%.1e", v);
        if (a >= 100) return String.format(Locale.ROOT, "%.0f", v);
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String escape(String t) {
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
