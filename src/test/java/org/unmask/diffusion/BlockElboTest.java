package org.unmask.diffusion;

import org.junit.jupiter.api.Test;
import org.unmask.model.LogitShift;
import org.unmask.model.ModelConfig;
import org.unmask.model.Transformer;
import org.unmask.model.kernels.AttentionPattern;

import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** The ELBO of a block-diffusion model: one pass over x_t ⊕ x_0 against a block-by-block computation, and its limit. */
class BlockElboTest {
    private static final int MASK = 10;

    private static Transformer model(int blockSize, boolean shift) {
        ModelConfig c = new ModelConfig(16, 2, 4, 2, 24, 11, 13, 64, 10000.0, 1e-5, false, MASK, 0, 0, 1)
                .withLogitShift(shift).withBlockSize(blockSize);
        Transformer m = Transformer.randomInit(c, 5);
        Random rnd = new Random(6);
        float[] v = m.parameters().values();
        for (int i = 0; i < v.length; i++) v[i] += (float) (0.2 * rnd.nextGaussian());
        return m;
    }

    private static List<ScoredSequence> texts() {
        Random rnd = new Random(7);
        int[] a = new int[11], b = new int[11];
        for (int i = 0; i < a.length; i++) { a[i] = rnd.nextInt(MASK); b[i] = rnd.nextInt(MASK); }
        return List.of(ScoredSequence.of(a), new ScoredSequence(b, 5));
    }

    private static double nll(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY, z = 0;
        for (float x : logits) max = Math.max(max, x);
        for (float x : logits) z += Math.exp(x - max);
        return -(logits[target] - max - Math.log(z));
    }

    /** Each block's masked tokens scored by the model run over the clean blocks before it and the noisy block. */
    private static double blockByBlock(Transformer m, List<ScoredSequence> texts, int grid, int blockSize, boolean shift) {
        ForwardProcess noise = new ForwardProcess(MASK);
        double total = 0;
        long tokens = 0;
        for (int w = 0; w < texts.size(); w++) {
            int[] clean = texts.get(w).tokens();
            int prompt = texts.get(w).promptLength(), n = clean.length;
            tokens += n - prompt;
            for (int k = 0; k < grid; k++) {
                SplittableRandom rng = new SplittableRandom(Elbo.streamSeed(Elbo.DEFAULT_SEED, w, k));
                for (int from = 0; from < n; from += blockSize) {
                    int start = Math.max(from, prompt), end = Math.min(from + blockSize, n), scored = end - start;
                    if (scored <= 0) continue;
                    int l = Math.max(1, Math.min(scored, (int) Math.ceil((k + 0.5) / grid * scored)));
                    int[] seq = java.util.Arrays.copyOf(clean, end);
                    int[] masked = noise.maskExactly(seq, start, end, l, rng), rows = new int[masked.length];
                    for (int i = 0; i < masked.length; i++) rows[i] = shift && masked[i] > 0 ? masked[i] - 1 : masked[i];
                    float[] logits = m.logits(seq, 1, end, null, rows, AttentionPattern.blockCausal(blockSize));
                    for (int i = 0; i < masked.length; i++)
                        total += (double) scored / l / grid * nll(java.util.Arrays.copyOfRange(logits, i * 13, (i + 1) * 13), clean[masked[i]]);
                }
            }
        }
        return total / tokens;
    }

    @Test
    void onePassBoundEqualsTheBlockByBlockComputation() {
        for (boolean shift : new boolean[]{false, true}) {
            Transformer m = model(4, shift);
            double bound = Elbo.estimate(LogitShift.apply(m), texts(), 3, 2, Elbo.DEFAULT_SEED).natsPerToken();
            assertThat(bound).as("shift %s", shift).isCloseTo(blockByBlock(m, texts(), 3, 4, shift), offset(1e-5 * bound));
        }
    }

    @Test
    void aBlockAsLongAsTheTextIsThePlainBound() {
        Transformer block = model(64, false);
        Transformer plain = Transformer.fromWeights(block.config().withBlockSize(0), block.tensors(), false);
        double a = Elbo.estimate(block, texts(), 4, 2, Elbo.DEFAULT_SEED).natsPerToken();
        double b = Elbo.estimate(plain, texts(), 4, 2, Elbo.DEFAULT_SEED).natsPerToken();
        assertThat(a).isCloseTo(b, offset(1e-5 * b));
    }
}
