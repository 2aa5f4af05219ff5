package org.unmask.train;

import org.unmask.data.Tokens;
import org.unmask.model.kernels.AttentionPattern;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Held-out evaluation that is comparable between runs: the same windows, and for diffusion the same fixed grid of
 * masking rates t_k = (k − 0.5)/K with masks from a fixed seed, so the ELBO estimate differs only through the model.
 */
public final class Validation {
    /** Nats per token over {@code tokens} evaluated tokens; {@code bound} when it is an ELBO (upper bound on NLL). */
    public record Result(double natsPerToken, long tokens, boolean bound) {
        /** Bits per token. */
        public double bitsPerToken() { return natsPerToken / Math.log(2); }
        /** Perplexity (an upper bound for diffusion). */
        public double perplexity() { return Math.exp(natsPerToken); }
    }

    private final List<CleanBatch> batches;
    private final int maskId;
    private final int grid;
    private final long seed;

    /** Evaluates on {@code batches}; diffusion uses {@code grid} masking rates and masks from {@code seed}. */
    public Validation(List<CleanBatch> batches, int maskId, int grid, long seed) {
        if (batches.isEmpty()) throw new IllegalArgumentException("validation needs at least one window");
        if (grid < 1) throw new IllegalArgumentException("the t grid needs at least one point");
        this.batches = List.copyOf(batches);
        this.maskId = maskId;
        this.grid = grid;
        this.seed = seed;
    }

    /** The first {@code maxWindows} non-overlapping windows of {@code tokens}, in batches of {@code batch}. */
    public static List<CleanBatch> windows(Tokens tokens, int seqLen, int batch, int maxWindows) {
        long n = Math.min(maxWindows, tokens.size() / seqLen);
        List<CleanBatch> out = new ArrayList<>();
        for (long w = 0; w < n; w += batch) {
            int b = (int) Math.min(batch, n - w);
            int[] ids = new int[b * seqLen];
            for (int r = 0; r < b; r++) tokens.copy((w + r) * seqLen, ids, r * seqLen, seqLen);
            out.add(CleanBatch.of(ids, b, seqLen));
        }
        return out;
    }

    /** Number of evaluation windows. */
    public int windows() { return batches.stream().mapToInt(CleanBatch::batch).sum(); }

    /**
     * The diffusion ELBO: for each t_k, mask each noisable token with probability t_k and add Σ_masked CE / t_k;
     * the average over k is a midpoint-rule estimate of ∫ (1/t) E[Σ CE] dt. Prompt tokens (SFT) are never masked and
     * not counted.
     */
    public Result diffusionElbo(LossFunction model) {
        double nats = 0;
        long tokens = 0;
        for (int bi = 0; bi < batches.size(); bi++) {
            CleanBatch c = batches.get(bi);
            for (int r = 0; r < c.batch(); r++) tokens += c.seqLen() - prompt(c, r);
            for (int k = 1; k <= grid; k++) {
                double t = (k - 0.5) / grid;
                Rng rng = new Rng(seed ^ (bi * 0x9E3779B97F4A7C15L) ^ (k * 0xC2B2AE3D27D4EB4FL));
                TrainBatch tb = masked(c, t, rng);
                if (tb.rows().length > 0) nats += model.loss(tb) / grid;
            }
        }
        return new Result(nats / tokens, tokens, true);
    }

    private TrainBatch masked(CleanBatch c, double t, Rng rng) {
        int n = c.tokens();
        int[] noisy = c.ids().clone();
        int[] rows = new int[n], targets = new int[n];
        float[] weights = new float[n];
        int m = 0;
        float w = (float) (1.0 / t);
        for (int r = 0; r < c.batch(); r++) {
            for (int i = prompt(c, r); i < c.seqLen(); i++) {
                int at = r * c.seqLen() + i;
                if (rng.nextDouble() < t) {
                    noisy[at] = maskId;
                    rows[m] = at; targets[m] = c.ids()[at]; weights[m] = w;
                    m++;
                }
            }
        }
        return new TrainBatch(noisy, c.batch(), c.seqLen(), AttentionPattern.BIDIRECTIONAL,
                Arrays.copyOf(rows, m), Arrays.copyOf(targets, m), Arrays.copyOf(weights, m));
    }

    private static int prompt(CleanBatch c, int row) { return c.promptLengths() == null ? 0 : c.promptLengths()[row]; }

    /** The exact autoregressive NLL of every token after the first of each window. */
    public Result autoregressiveNll(LossFunction model) {
        double nats = 0;
        long tokens = 0;
        AutoregressiveObjective ar = new AutoregressiveObjective();
        for (CleanBatch c : batches) {
            TrainBatch tb = ar.corrupt(c, null);
            // unit weights: the summed NLL
            float[] ones = new float[tb.rows().length];
            Arrays.fill(ones, 1f);
            nats += model.loss(new TrainBatch(tb.ids(), tb.batch(), tb.seqLen(), tb.mask(), tb.rows(), tb.targets(), ones));
            tokens += tb.rows().length;
        }
        return new Result(nats / tokens, tokens, false);
    }
}
