package org.unmask.train;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * Progress on the console: a progress bar with loss, tokens/s and ETA when stderr is a terminal, otherwise one plain
 * log line every {@code logInterval} (and for the first steps), which reads well in CI logs and files.
 */
public final class ConsoleReporter implements Reporter {
    private final PrintStream out;
    private final long logIntervalMillis;
    private final long totalSteps;
    private ProgressBar bar;
    private long lastLine;

    /**
     * Reports a run of {@code totalSteps} steps (or -1 with a {@code timeBudget}) that starts at {@code startStep}
     * after {@code elapsed} of earlier training.
     */
    public ConsoleReporter(PrintStream out, boolean terminal, Duration logInterval, long totalSteps, Duration timeBudget,
                           long startStep, Duration elapsed) {
        this.out = out;
        this.logIntervalMillis = logInterval.toMillis();
        this.totalSteps = totalSteps;
        if (terminal) {
            ProgressBarBuilder b = new ProgressBarBuilder().setTaskName("train").setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                    .setUpdateIntervalMillis(500).setMaxRenderedLength(120);
            if (totalSteps > 0) b.setInitialMax(totalSteps).setUnit(" steps", 1).startsFrom(startStep, elapsed);
            else b.setInitialMax(Math.max(1, timeBudget.toSeconds())).setUnit(" s", 1).startsFrom(elapsed.toSeconds(), elapsed);
            bar = b.build();
        }
    }

    /** Whether the JVM's console is an interactive terminal. */
    public static boolean isTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    @Override public void step(StepReport r) {
        if (bar != null) {
            bar.stepTo(totalSteps > 0 ? r.step() : Math.min(bar.getMax(), r.elapsed().toSeconds()));
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f | %s tok/s", r.loss(), rate(r.tokensPerSecond())));
            return;
        }
        long now = System.currentTimeMillis();
        if (r.step() > 5 && now - lastLine < logIntervalMillis && (totalSteps <= 0 || r.step() < totalSteps)) return;
        lastLine = now;
        String of = totalSteps > 0 ? "/" + totalSteps : "";
        String eta = r.eta() == null ? "?" : DurationParser.format(r.eta());
        out.printf(Locale.ROOT, "step %d%s | loss %.4f | lr %.2e | grad %.3f | %s tok/s | %s elapsed | eta %s%n",
                r.step(), of, r.loss(), r.lr(), r.gradNorm(), rate(r.tokensPerSecond()), DurationParser.format(r.elapsed()), eta);
        out.flush();
    }

    private static String rate(double v) {
        return v >= 10_000 ? String.format(Locale.ROOT, "%.1fk", v / 1000) : String.format(Locale.ROOT, "%.0f", v);
    }

    @Override public void message(String line) {
        if (bar != null) {
            // clear the bar's line, print, and let the bar redraw below
            out.print("\r\033[2K");
            out.println(line);
            bar.refresh();
        } else {
            out.println(line);
        }
        out.flush();
    }

    @Override public void close() {
        if (bar != null) bar.close();
        bar = null;
    }
}
