package org.unmask.hub;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The bytes of a pull as they arrive, from all its parallel downloads together: a live bar with speed and ETA on a
 * terminal, a plain line every few seconds otherwise (logs, CI), nothing in tests that do not ask.
 */
public interface DownloadProgress extends AutoCloseable {

    /** Starts the count: {@code total} bytes to have in the end, {@code resumed} of them already on disk. */
    void start(String task, long total, long resumed);

    /** Counts {@code bytes} more (negative when a server ignored a range and the file starts over). Thread-safe. */
    void advance(long bytes);

    @Override void close();

    /** No output. */
    DownloadProgress NONE = new DownloadProgress() {
        @Override public void start(String task, long total, long resumed) {}
        @Override public void advance(long bytes) {}
        @Override public void close() {}
    };

    /** A bar on stderr when it is a terminal, otherwise a line on {@code lines} every five seconds and at the end. */
    static DownloadProgress forConsole(Consumer<String> lines) {
        var console = System.console();
        return console != null && console.isTerminal() ? new Bar(System.err) : new Lines(lines, 5_000);
    }

    /** The me.tongfei progress bar in megabytes. */
    final class Bar implements DownloadProgress {
        private final PrintStream out;
        private ProgressBar bar;

        Bar(PrintStream out) { this.out = out; }

        @Override public synchronized void start(String task, long total, long resumed) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" MB", 1_000_000)
                    .showSpeed().startsFrom(resumed, Duration.ZERO).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new ConsoleProgressBarConsumer(out)).build();
        }

        @Override public void advance(long bytes) {
            ProgressBar b;
            synchronized (this) { b = bar; }
            if (b != null) b.stepBy(bytes);
        }

        @Override public synchronized void close() {
            if (bar != null) bar.close();
            bar = null;
        }
    }

    /** Plain lines: bytes so far, percentage, speed since the start and the time left at that speed. */
    final class Lines implements DownloadProgress {
        private final Consumer<String> out;
        private final long intervalNanos;
        private final AtomicLong done = new AtomicLong();
        private volatile String task;
        private volatile long total, resumed, started, lastLine;

        Lines(Consumer<String> out, long intervalMillis) {
            this.out = out;
            this.intervalNanos = intervalMillis * 1_000_000;
        }

        @Override public void start(String task, long total, long resumed) {
            this.task = task;
            this.total = total;
            this.resumed = resumed;
            done.set(resumed);
            started = lastLine = System.nanoTime();
        }

        @Override public void advance(long bytes) {
            done.addAndGet(bytes);
            long now = System.nanoTime(), last = lastLine;
            if (task != null && now - last >= intervalNanos && lastLineMoved(last, now)) out.accept(line(now));
        }

        private synchronized boolean lastLineMoved(long last, long now) {
            if (lastLine != last) return false;
            lastLine = now;
            return true;
        }

        @Override public void close() {
            if (task != null) out.accept(line(System.nanoTime()));
            task = null;
        }

        private String line(long now) {
            long have = done.get();
            double seconds = Math.max(1e-3, (now - started) / 1e9);
            double speed = (have - resumed) / seconds;
            String eta = have >= total ? "done" : speed > 0 ? "ETA " + duration((total - have) / speed) : "ETA unknown";
            return String.format(Locale.ROOT, "%s: %s of %s (%.0f%%), %s/s, %s", task, bytes(have), bytes(total),
                    total == 0 ? 100.0 : 100.0 * have / total, bytes((long) speed), eta);
        }
    }

    /** {@code 1.5 GB}, {@code 320 kB}: decimal units, as the Hub shows sizes. */
    static String bytes(long n) {
        if (n < 1000) return n + " B";
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
    }

    /** {@code 42 s}, {@code 3 min 5 s}, {@code 1 h 2 min}. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + " s";
        if (s < 3600) return s / 60 + " min " + s % 60 + " s";
        return s / 3600 + " h " + (s % 3600) / 60 + " min";
    }
}
