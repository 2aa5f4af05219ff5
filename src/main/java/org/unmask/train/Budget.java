package org.unmask.train;

import java.time.Duration;

/** How long a run trains: a number of optimizer steps, of epochs over the data, or a wall-clock time. */
public record Budget(long maxSteps, double epochs, Duration time) {
    /** Exactly one limit must be set. */
    public Budget {
        int set = (maxSteps > 0 ? 1 : 0) + (epochs > 0 ? 1 : 0) + (time != null ? 1 : 0);
        if (set != 1) throw new IllegalArgumentException("give exactly one of --max-steps, --epochs, --time");
        if (maxSteps < 0 || epochs < 0) throw new IllegalArgumentException("--max-steps and --epochs must be positive");
    }

    /** A step limit. */
    public static Budget steps(long n) { return new Budget(n, 0, null); }
    /** An epoch limit. */
    public static Budget epochs(double n) { return new Budget(0, n, null); }
    /** A wall-clock limit. */
    public static Budget time(Duration d) { return new Budget(0, 0, d); }

    /** Whether the run walks the data in epochs (sequential windows) rather than random windows. */
    public boolean byEpochs() { return epochs > 0; }

    /** Total optimizer steps when known in advance ({@code stepsPerEpoch} for epoch budgets), else -1. */
    public long totalSteps(long stepsPerEpoch) {
        if (maxSteps > 0) return maxSteps;
        if (epochs > 0) return Math.max(1, Math.round(epochs * stepsPerEpoch));
        return -1;
    }

    @Override public String toString() {
        if (maxSteps > 0) return maxSteps + " steps";
        if (epochs > 0) return epochs + " epochs";
        return DurationParser.format(time);
    }
}
