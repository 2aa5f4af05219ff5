package org.unmask.diffusion;

/** How many masked positions each denoising step commits (LLaDA block quotas, Dream timesteps, Fast-dLLM factor rule). */
public final class Schedules {
    private Schedules() {}

    /**
     * LLaDA's {@code get_num_transfer_tokens}: {@code masks} spread over {@code steps} steps, {@code masks / steps}
     * each, with the remainder going to the earliest steps (the uniform discretisation of α_t = 1 − t).
     */
    public static int[] numTransferTokens(int masks, int steps) {
        if (steps <= 0) throw new IllegalArgumentException("steps must be positive, got " + steps);
        if (masks < 0) throw new IllegalArgumentException("mask count must be non-negative, got " + masks);
        int base = masks / steps, rem = masks % steps;
        int[] n = new int[steps];
        for (int i = 0; i < steps; i++) n[i] = base + (i < rem ? 1 : 0);
        return n;
    }

    /**
     * {@code torch.linspace(start, end, steps)} in float32: the first half counts up from {@code start}, the second
     * half down from {@code end}, with a float32 step, so the end points are exact.
     */
    public static float[] linspaceF32(float start, float end, int steps) {
        float[] v = new float[steps];
        if (steps == 1) { v[0] = start; return v; }
        float step = (end - start) / (float) (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++) v[i] = i < halfway ? start + step * i : end - step * (steps - 1 - i);
        return v;
    }

    /** Dream's timesteps {@code linspace(1, eps, steps + 1)} in float32. */
    public static float[] dreamTimesteps(int steps, float eps) {
        return linspaceF32(1f, eps, steps + 1);
    }

    /**
     * Dream's count for step {@code i} of {@code steps}: {@code int(avgMasks · (1 − s/t))} in float32 arithmetic with
     * truncation, and every remaining mask on the last step.
     */
    public static int dreamCount(float[] ts, int i, float avgMasks) {
        int steps = ts.length - 1;
        if (i == steps - 1) return (int) avgMasks;
        float t = ts[i], s = ts[i + 1];
        float frac = 1f - s / t;
        return (int) (avgMasks * frac);
    }

    /** Dream's {@code origin} probability that a masked position is revealed at step {@code i}: 1 − s/t, 1 at the end. */
    public static double originProbability(float[] ts, int i) {
        int steps = ts.length - 1;
        if (i == steps - 1) return 1.0;
        return 1f - ts[i + 1] / ts[i];
    }

    /**
     * Fast-dLLM's factor rule over confidences sorted in descending order: the largest {@code n} (1-based) with
     * {@code (n + 1)·(1 − c_n) < factor}, at least 1. Since c is non-increasing, the left side grows with n, so the
     * accepted positions are a prefix.
     */
    public static int factorCount(double[] sortedDesc, int count, double factor) {
        int n = 1;
        for (int j = 2; j <= count; j++) {
            if ((j + 1) * (1.0 - sortedDesc[j - 1]) < factor) n = j; else break;
        }
        return Math.min(n, count);
    }
}
