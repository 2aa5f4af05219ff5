package org.unmask.data;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress of a long job on stderr: a live bar on a terminal, a plain log line every few seconds otherwise. */
interface Progress extends AutoCloseable {

    /** Records {@code documents} more documents, {@code tokens} more tokens. */
    void step(long documents, long tokens);

    /** Marks the job as completed (otherwise closing reports it as stopped). */
    void finish();

    @Override
    void close();

    /** A bar when stderr is an interactive terminal, log lines otherwise. */
    static Progress start(String task) {
        var console = System.console();
        return console != null && console.isTerminal() ? new Bar(task) : new Log(task, System.err, 5_000);
    }

    /** The me.tongfei progress bar, counting documents, with the token count as its message. */
    final class Bar implements Progress {
        private final ProgressBar bar;
        private long tokens;

        Bar(String task) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(-1).setUnit(" docs", 1).showSpeed()
                    .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        }

        @Override
        public void step(long documents, long tokens) {
            this.tokens += tokens;
            bar.stepBy(documents);
            bar.setExtraMessage(String.format(Locale.ROOT, " %,d tokens", this.tokens));
        }

        @Override
        public void finish() {
            bar.setExtraMessage(String.format(Locale.ROOT, " %,d tokens, done", tokens));
        }

        @Override
        public void close() {
            bar.close();
        }
    }

    /** Plain lines for logs and CI, at most one per interval plus a final one. */
    final class Log implements Progress {
        private final String task;
        private final PrintStream out;
        private final long intervalMillis;
        private final long start = System.nanoTime();
        private long lastReport = start;
        private long documents, tokens;
        private boolean finished;

        Log(String task, PrintStream out, long intervalMillis) {
            this.task = task;
            this.out = out;
            this.intervalMillis = intervalMillis;
        }

        @Override
        public void step(long documents, long tokens) {
            this.documents += documents;
            this.tokens += tokens;
            long now = System.nanoTime();
            if ((now - lastReport) / 1_000_000 >= intervalMillis) {
                lastReport = now;
                report("");
            }
        }

        @Override
        public void finish() {
            finished = true;
        }

        @Override
        public void close() {
            report(finished ? " (done)" : " (stopped)");
        }

        private void report(String suffix) {
            double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
            out.printf(Locale.ROOT, "%s: %,d documents, %,d tokens, %.1f s, %,.0f tokens/s%s%n",
                    task, documents, tokens, seconds, tokens / seconds, suffix);
        }
    }
}
