package org.unmask.train;

/**
 * Optimisation settings of a run. {@code batch} sequences of {@code seqLen} tokens per micro-batch,
 * {@code gradAccum} micro-batches per optimizer step; {@code clip} ≤ 0 disables clipping; {@code anneal} widens
 * attention from causal to bidirectional over the first steps (adapting an autoregressive model).
 */
public record TrainOptions(
        double lr, long warmup, LrSchedule.Kind schedule, int batch, int seqLen, int gradAccum,
        double clip, double weightDecay, double beta1, double beta2, double adamEps, long seed,
        long valEvery, long saveEvery, Budget budget, int nanPatience, double nanLrFactor, AttentionAnneal anneal) {

    /** Options without attention annealing. */
    public TrainOptions(double lr, long warmup, LrSchedule.Kind schedule, int batch, int seqLen, int gradAccum,
                        double clip, double weightDecay, double beta1, double beta2, double adamEps, long seed,
                        long valEvery, long saveEvery, Budget budget, int nanPatience, double nanLrFactor) {
        this(lr, warmup, schedule, batch, seqLen, gradAccum, clip, weightDecay, beta1, beta2, adamEps, seed, valEvery,
                saveEvery, budget, nanPatience, nanLrFactor, AttentionAnneal.NONE);
    }

    /** Checks every field and names the option on error. */
    public TrainOptions {
        if (batch < 1) throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        if (seqLen < 2) throw new IllegalArgumentException("--seq-len must be at least 2, got " + seqLen);
        if (gradAccum < 1) throw new IllegalArgumentException("--grad-accum must be at least 1, got " + gradAccum);
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("--lr must be positive, got " + lr);
        if (warmup < AUTO_WARMUP) throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("--weight-decay must be >= 0, got " + weightDecay);
        if (Double.isNaN(clip)) throw new IllegalArgumentException("--clip must be a number");
        if (valEvery < 0 || saveEvery < 0) throw new IllegalArgumentException("--val-every and --save-every must be >= 0");
        if (nanPatience < 1) throw new IllegalArgumentException("NaN patience must be at least 1");
        if (!(nanLrFactor > 0 && nanLrFactor < 1)) throw new IllegalArgumentException("NaN lr factor must be in (0, 1)");
        if (anneal == null) throw new IllegalArgumentException("anneal must not be null (AttentionAnneal.NONE for none)");
        if (budget == null) throw new IllegalArgumentException("a budget (--max-steps, --epochs or --time) is required");
    }

    /** {@code warmup} value asking for the default: 100 steps, at most a tenth of a run of known length. */
    public static final long AUTO_WARMUP = -1;

    /** Tokens per optimizer step. */
    public long tokensPerStep() { return (long) batch * seqLen * gradAccum; }

    /** The learning-rate schedule for a run of {@code totalSteps} (-1 when only its time is known). */
    public LrSchedule lrSchedule(long totalSteps) {
        long w = warmup != AUTO_WARMUP ? warmup : totalSteps > 0 ? Math.min(100, Math.max(1, totalSteps / 10)) : 100;
        return LrSchedule.of(schedule, lr, w);
    }
}
