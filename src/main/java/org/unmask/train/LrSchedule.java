package org.unmask.train;

/**
 * Learning rate over a run: linear warmup from peak/warmup to peak, then either cosine decay to {@code minRatio}·peak
 * or warmup-stable-decay (hold the peak, then decay linearly to {@code minRatio}·peak over the last
 * {@code decayFraction} of the run). After warmup the shape is a function of the run's progress in [0, 1]
 * (fraction of steps, or of the time budget), so step-, epoch- and time-limited runs share it.
 */
public record LrSchedule(Kind kind, double peak, long warmupSteps, double minRatio, double decayFraction) {
    /** The decay shapes. */
    public enum Kind { COSINE, WSD }

    /** Cosine/WSD decay to 10% of the peak; WSD decays over the last 20%. */
    public static LrSchedule of(Kind kind, double peak, long warmupSteps) {
        return new LrSchedule(kind, peak, warmupSteps, 0.1, 0.2);
    }

    /** Checks the parameters. */
    public LrSchedule {
        if (!(peak > 0) || Double.isInfinite(peak)) throw new IllegalArgumentException("--lr must be positive, got " + peak);
        if (warmupSteps < 0) throw new IllegalArgumentException("--warmup must be >= 0, got " + warmupSteps);
        if (!(minRatio >= 0 && minRatio <= 1)) throw new IllegalArgumentException("min lr ratio must be in [0, 1]");
        if (!(decayFraction > 0 && decayFraction <= 1)) throw new IllegalArgumentException("decay fraction must be in (0, 1]");
    }

    /** Parses "cosine" or "wsd". */
    public static Kind kind(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "cosine" -> Kind.COSINE;
            case "wsd" -> Kind.WSD;
            default -> throw new IllegalArgumentException("unknown --schedule '" + name + "' (known: cosine, wsd)");
        };
    }

    /**
     * The rate for optimizer step {@code step} (0-based) at {@code progress} = fraction of the post-warmup budget
     * used (clamped to [0, 1]).
     */
    public double lr(long step, double progress) {
        if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
        double x = Math.clamp(progress, 0.0, 1.0);
        return switch (kind) {
            case COSINE -> peak * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * x)));
            case WSD -> {
                double start = 1 - decayFraction;
                yield x <= start ? peak : peak * (1 - (1 - minRatio) * (x - start) / decayFraction);
            }
        };
    }
}
