package org.unmask.diffusion;

import org.unmask.model.Denoiser;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A deterministic evidence lower bound for a whole text under a masked diffusion LM:
 * −log p(x) ≤ E_{l∼U{1..L}} [(L/l) Σ_{masked} −log p(x_i | x_masked)], with the expectation over l taken on the
 * fixed midpoint grid t_k = (k + ½)/K, l_k = ⌈t_k·L⌉ (a uniform t gives a uniform l), and the l masked positions of
 * grid point k chosen by a random stream with a fixed seed, so the same text always gets the same bound.
 */
public final class Elbo {
    private Elbo() {}

    /** The bound on −log p(tokens) in nats, from {@code grid} points evaluated {@code batch} rows per forward. */
    public static double nllBound(Denoiser model, int[] tokens, int grid, int batch, long seed) {
        int L = tokens.length;
        if (L == 0) throw new IllegalArgumentException("cannot score an empty text");
        if (grid <= 0 || batch <= 0) throw new IllegalArgumentException("grid and batch must be positive");
        if (L > model.config().maxSequenceLength())
            throw new IllegalArgumentException("text of " + L + " tokens exceeds max_sequence_length "
                    + model.config().maxSequenceLength());
        int vocab = model.config().embeddingSize(), mask = model.config().maskTokenId();
        Likelihood.checkIds(tokens, vocab, "text");
        SplittableRandom rng = new SplittableRandom(seed);
        double total = 0;
        for (int k0 = 0; k0 < grid; k0 += batch) {
            int nb = Math.min(batch, grid - k0);
            int[] counts = new int[nb];
            int rowsN = 0;
            for (int j = 0; j < nb; j++) {
                double t = (k0 + j + 0.5) / grid;
                counts[j] = Math.max(1, Math.min(L, (int) Math.ceil(t * L)));
                rowsN += counts[j];
            }
            int[] ids = new int[nb * L], rows = new int[rowsN], targets = new int[rowsN];
            double[] weight = new double[rowsN];
            int q = 0;
            for (int j = 0; j < nb; j++) {
                System.arraycopy(tokens, 0, ids, j * L, L);
                int[] masked = Arrays.copyOf(Likelihood.permutation(L, rng), counts[j]);
                Arrays.sort(masked);
                for (int i : masked) {
                    ids[j * L + i] = mask;
                    rows[q] = j * L + i;
                    targets[q] = tokens[i];
                    weight[q++] = (double) L / counts[j];
                }
            }
            float[] logits = model.logits(ids, nb, L, null, rows);
            for (int r = 0; r < rowsN; r++) total += weight[r] * -Likelihood.logSoftmax(logits, r * vocab, vocab, targets[r]);
        }
        return total / grid;
    }
}
