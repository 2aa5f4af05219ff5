package org.unmask.train;

import java.time.Duration;

/** Where the trainer reports progress: a terminal progress bar, plain log lines, or nothing (tests). */
public interface Reporter extends AutoCloseable {
    /** One finished optimizer step; {@code eta} is null when unknown. */
    record StepReport(long step, long totalSteps, double loss, double lr, double gradNorm, double tokensPerSecond,
                      double progress, Duration elapsed, Duration eta) {}

    /** Called after every optimizer step. */
    void step(StepReport report);

    /** A message that must be seen (validation results, NaN handling, saves). */
    void message(String line);

    @Override void close();

    /** Discards step reports and keeps nothing; messages go to {@code System.err} only when {@code verbose}. */
    static Reporter quiet(boolean verbose) {
        return new Reporter() {
            public void step(StepReport report) {}
            public void message(String line) { if (verbose) System.err.println(line); }
            public void close() {}
        };
    }
}
