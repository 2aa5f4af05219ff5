package org.unmask.diffusion;

import org.unmask.model.Denoiser;
import org.unmask.model.kernels.AttentionPattern;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The one evidence lower bound of Unmask, used by training's validation, {@code eval} and the studies alike:
 * −log p(x | prompt) ≤ E_{l∼U{1..L}} [(L/l) Σ_{masked} −log p(x_i | x_masked)] over the L scored tokens. The
 * expectation over l is taken on the fixed midpoint grid t_k = (k + ½)/K, l_k = ⌈t_k·L⌉ (a uniform t gives a uniform
 * l), and the l_k masked positions are drawn by {@link ForwardProcess#maskExactly} from a stream that depends only on
 * the seed, the sequence's index and k. The same model on the same sequences with the same seed therefore gives the
 * same number however the rows are batched. Masking exactly l tokens (rather than each with probability t, weight
 * 1/t) is LLaDA's lower-variance form of the same bound.
 *
 * <p>A block-diffusion model ({@code block_size} B) has the bound of BD3-LM, −log p(x) = Σ_b −log p(x_b | x_&lt;b) ≤
 * Σ_b E_l [(n_b/l) Σ_{masked in b} −log p(x_i | x_&lt;b, x_b masked)], n_b the scored tokens of block b: at grid point
 * k every block masks exactly ⌈t_k·n_b⌉ of its scored tokens, and one forward over the noisy copy followed by the clean
 * one ({@link AttentionPattern#noisyClean}) scores every block given the clean blocks before it. A block as long as the
 * sequence gives the plain bound above.
 */
public final class Elbo {
    /** Grid points per sequence unless told otherwise. */
    public static final int DEFAULT_GRID = 8;
    /** Seed of the mask choices unless told otherwise (fixed, so runs with different training seeds compare). */
    public static final long DEFAULT_SEED = 0;

    private Elbo() {}

    /**
     * The bound with its integrand: {@code natsPerMaskedToken[k]} is the mean cross-entropy of a masked token at
     * masking rate {@code t[k]} (the windows weighted by their scored tokens), and the bound is their average, so the
     * curve shows which masking rates a model pays for.
     */
    public record Curve(NllEstimate bound, double[] t, double[] natsPerMaskedToken) {}

    /** The bound per scored token over {@code sequences}, with {@code grid} points and {@code rowsPerForward} rows per forward. */
    public static NllEstimate estimate(Denoiser model, List<ScoredSequence> sequences, int grid, int rowsPerForward, long seed) {
        return curve(model, sequences, grid, rowsPerForward, seed).bound();
    }

    /** {@link #estimate} together with its value at every grid point. */
    public static Curve curve(Denoiser model, List<ScoredSequence> sequences, int grid, int rowsPerForward, long seed) {
        if (grid <= 0) throw new IllegalArgumentException("the t grid needs at least one point, got " + grid);
        if (rowsPerForward <= 0) throw new IllegalArgumentException("rows per forward must be positive, got " + rowsPerForward);
        if (sequences.isEmpty()) throw new IllegalArgumentException("nothing to score");
        int vocab = model.config().embeddingSize();
        ForwardProcess noise = new ForwardProcess(model.config().maskTokenId());
        int blockSize = model.config().blockSize();
        Batch batch = new Batch(model, vocab, rowsPerForward, blockSize > 0 ? AttentionPattern.noisyClean(blockSize) : null, grid);
        long tokens = 0;
        for (int w = 0; w < sequences.size(); w++) {
            ScoredSequence s = sequences.get(w);
            Likelihood.checkLength(model, s.tokens().length);
            Likelihood.checkIds(s.tokens(), vocab, "text");
            int L = s.scoredLength();
            tokens += L;
            for (int k = 0; k < grid; k++) {
                if (blockSize > 0) {
                    addBlocks(batch, noise, s, blockSize, k, new SplittableRandom(streamSeed(seed, w, k)), grid);
                    continue;
                }
                int l = Math.max(1, Math.min(L, (int) Math.ceil((k + 0.5) / grid * L)));
                int[] noisy = s.tokens().clone();
                int[] masked = noise.maskExactly(noisy, s.promptLength(), noisy.length, l, new SplittableRandom(streamSeed(seed, w, k)));
                batch.add(k, noisy, masked, s.tokens(), (double) L / l / grid);
            }
        }
        double[] byPoint = batch.finish(), t = new double[grid], perMasked = new double[grid];
        double total = 0;
        for (int k = 0; k < grid; k++) {
            total += byPoint[k];
            t[k] = (k + 0.5) / grid;
            perMasked[k] = byPoint[k] * grid / tokens;
        }
        return new Curve(new NllEstimate(total / tokens, tokens, true), t, perMasked);
    }

    /**
     * One grid point of the block bound: every block masks ⌈t·n_b⌉ of its n_b scored tokens (weight n_b/l_b), and the
     * row is the noisy copy followed by the clean one.
     */
    private static void addBlocks(Batch batch, ForwardProcess noise, ScoredSequence s, int blockSize, int k,
                                  SplittableRandom rng, int grid) {
        double t = (k + 0.5) / grid;
        int[] clean = s.tokens();
        int n = clean.length;
        int[] noisy = clean.clone();
        int[] masked = new int[n];
        double[] weight = new double[n];
        int count = 0;
        for (int from = 0; from < n; from += blockSize) {
            int start = Math.max(from, s.promptLength()), end = Math.min(from + blockSize, n), scored = end - start;
            if (scored <= 0) continue;
            int l = Math.max(1, Math.min(scored, (int) Math.ceil(t * scored)));
            for (int at : noise.maskExactly(noisy, start, end, l, rng)) {
                masked[count] = at;
                weight[count++] = (double) scored / l / grid;
            }
        }
        int[] row = java.util.Arrays.copyOf(noisy, 2 * n);
        System.arraycopy(clean, 0, row, n, n);
        batch.add(k, row, java.util.Arrays.copyOf(masked, count), clean, java.util.Arrays.copyOf(weight, count));
    }

    /** The seed of grid point k of sequence w: distinct streams, independent of batching. */
    static long streamSeed(long seed, int w, int k) {
        return (seed * 0x9E3779B97F4A7C15L + w) * 0xC2B2AE3D27D4EB4FL + k;
    }

    /** Rows of equal length gathered into one forward pass; accumulates Σ weight·CE over the masked rows, per grid point. */
    private static final class Batch {
        final Denoiser model;
        final int vocab, capacity;
        final List<int[]> rows = new ArrayList<>();
        final List<int[]> masked = new ArrayList<>();
        final List<int[]> clean = new ArrayList<>();
        final List<double[]> weights = new ArrayList<>();
        final List<Integer> points = new ArrayList<>();
        final AttentionPattern pattern;   // null: the model's own attention
        final double[] totals;

        Batch(Denoiser model, int vocab, int capacity, AttentionPattern pattern, int grid) {
            this.model = model; this.vocab = vocab; this.capacity = capacity; this.pattern = pattern;
            this.totals = new double[grid];
        }

        void add(int point, int[] noisy, int[] maskedAt, int[] target, double weight) {
            double[] w = new double[maskedAt.length];
            java.util.Arrays.fill(w, weight);
            add(point, noisy, maskedAt, target, w);
        }

        /** A row of grid point {@code point} whose masked positions {@code maskedAt[i]} carry weights {@code weight[i]}. */
        void add(int point, int[] noisy, int[] maskedAt, int[] target, double[] weight) {
            if (!rows.isEmpty() && rows.getFirst().length != noisy.length) flush();
            rows.add(noisy); masked.add(maskedAt); clean.add(target); weights.add(weight); points.add(point);
            if (rows.size() == capacity) flush();
        }

        void flush() {
            if (rows.isEmpty()) return;
            int n = rows.size(), len = rows.getFirst().length, q = 0;
            int[] ids = new int[n * len];
            int count = 0;
            for (int[] m : masked) count += m.length;
            int[] flat = new int[count];
            for (int j = 0; j < n; j++) {
                System.arraycopy(rows.get(j), 0, ids, j * len, len);
                for (int at : masked.get(j)) flat[q++] = j * len + at;
            }
            float[] logits = pattern == null ? model.logits(ids, n, len, null, flat) : model.logits(ids, n, len, null, flat, pattern);
            q = 0;
            for (int j = 0; j < n; j++) {
                int[] m = masked.get(j);
                double[] w = weights.get(j);
                // rows of one weight (the plain bound) sum their cross-entropies first, then weigh them once
                boolean uniform = true;
                for (double x : w) uniform &= x == w[0];
                double ce = 0;
                for (int i = 0; i < m.length; i++) {
                    double nll = -Likelihood.logSoftmax(logits, q++ * vocab, vocab, clean.get(j)[m[i]]);
                    ce += uniform ? nll : w[i] * nll;
                }
                totals[points.get(j)] += uniform && w.length > 0 ? w[0] * ce : ce;
            }
            rows.clear(); masked.clear(); clean.clear(); weights.clear(); points.clear();
        }

        double[] finish() { flush(); return totals; }
    }
}
