package org.unmask.train;

import org.junit.jupiter.api.Test;
import org.unmask.model.ModelConfig;
import org.unmask.model.Parameters;
import org.unmask.model.Transformer;
import org.unmask.model.kernels.AttentionPattern;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** BD3-LM's one-pass loss over x_t ⊕ x_0 against an independent block-by-block computation, and its two limits. */
class BlockDiffusionObjectiveTest {
    private static final int VOCAB = 11, MASK = 10;

    /** d=16, 2 layers, 4 heads over 2 key/value heads, vocabulary 11 (embedding 13), mask id 10. */
    private static Transformer model(long seed) {
        ModelConfig c = new ModelConfig(16, 2, 4, 2, 24, VOCAB, 13, 64, 10000.0, 1e-5, false, MASK, 0, 0, 1);
        Transformer m = Transformer.randomInit(c, seed);
        Random rnd = new Random(seed + 1);
        float[] v = m.parameters().values();
        for (Parameters.Parameter p : m.parameters().list())
            for (int i = p.offset(); i < p.offset() + p.size(); i++)
                v[i] = p.rank() == 1 ? (float) (1 + 0.3 * rnd.nextGaussian()) : (float) (0.35 * rnd.nextGaussian());
        return m;
    }

    private static int[] cleanIds(Random rnd, int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rnd.nextInt(MASK);
        return ids;
    }

    /** −log softmax(logits[off..off+V))[target] in double. */
    private static double nll(float[] logits, int off, int target) {
        double max = Double.NEGATIVE_INFINITY, z = 0;
        for (int v = 0; v < 13; v++) max = Math.max(max, logits[off + v]);
        for (int v = 0; v < 13; v++) z += Math.exp(logits[off + v] - max);
        return -(logits[off + target] - max - Math.log(z));
    }

    /**
     * The loss computed the slow way: for each masked noisy position of block k (the rows of the unshifted batch), run
     * the model on the clean blocks before k followed by block k's noisy tokens under block-causal attention, and read
     * the position's logits (with a shift: those of the position before it in that sequence, or its own at 0).
     */
    private static double blockByBlock(Transformer m, TrainBatch plain, int len, int blockSize, boolean shift) {
        int wide = 2 * len;
        double loss = 0;
        for (int i = 0; i < plain.rows().length; i++) {
            int r = plain.rows()[i] / wide, t = plain.rows()[i] % wide, k = t / blockSize;
            assertThat(t).isLessThan(len);
            int end = Math.min((k + 1) * blockSize, len);
            int[] seq = new int[end];
            System.arraycopy(plain.ids(), r * wide + len, seq, 0, k * blockSize);                           // clean blocks before k
            System.arraycopy(plain.ids(), r * wide + k * blockSize, seq, k * blockSize, end - k * blockSize);   // noisy block k
            assertThat(seq[t]).isEqualTo(MASK);
            int row = shift && t > 0 ? t - 1 : t;
            float[] logits = m.logits(seq, 1, end, null, new int[]{row}, AttentionPattern.blockCausal(blockSize));
            loss += plain.weights()[i] * nll(logits, 0, plain.targets()[i]);
        }
        return loss;
    }

    @Test
    void onePassLossEqualsTheBlockByBlockComputation() {
        Transformer m = model(3);
        for (boolean shift : new boolean[]{false, true}) {
            for (int blockSize : new int[]{3, 4}) {
                Random rnd = new Random(11 + blockSize);
                int b = 2, len = 10;   // blocks of 3 leave a last block of 1
                CleanBatch clean = CleanBatch.of(cleanIds(rnd, b * len), b, len);
                TrainBatch plain = new BlockDiffusionObjective(MASK, blockSize, 0.3, 0.9, false, false).corrupt(clean, new Rng(5));
                TrainBatch tb = new BlockDiffusionObjective(MASK, blockSize, 0.3, 0.9, false, shift).corrupt(clean, new Rng(5));
                assertThat(tb.seqLen()).isEqualTo(2 * len);
                assertThat(tb.pattern()).isEqualTo(AttentionPattern.noisyClean(blockSize));
                assertThat(tb.ids()).isEqualTo(plain.ids());
                assertThat(tb.rows()).isNotEmpty();
                double onePass = m.loss(tb.ids(), tb.batch(), tb.seqLen(), null, tb.pattern(), tb.rows(), tb.targets(), tb.weights());
                assertThat(onePass).as("shift %s, blocks of %d", shift, blockSize)
                        .isCloseTo(blockByBlock(m, plain, len, blockSize, shift), offset(1e-4 * Math.abs(onePass)));
            }
        }
    }

    @Test
    void sftKeepsThePromptCleanAndMasksTheAnswerInAlignedBlocks() {
        Transformer m = model(4);
        Random rnd = new Random(21);
        int b = 2, len = 9, blockSize = 4;
        int[] prompt = {5, 2};
        CleanBatch clean = new CleanBatch(cleanIds(rnd, b * len), b, len, prompt);
        BlockDiffusionObjective obj = new BlockDiffusionObjective(MASK, blockSize, 0.5, 1, false, false);
        TrainBatch tb = obj.corrupt(clean, new Rng(9));
        for (int r = 0; r < b; r++) {
            for (int t = 0; t < prompt[r]; t++) assertThat(tb.ids()[r * 2 * len + t]).isEqualTo(clean.ids()[r * len + t]);
            for (int t = 0; t < len; t++) assertThat(tb.ids()[r * 2 * len + len + t]).isEqualTo(clean.ids()[r * len + t]);
        }
        for (int i = 0; i < tb.rows().length; i++) {
            int r = tb.rows()[i] / (2 * len), t = tb.rows()[i] % (2 * len);
            assertThat(t).isGreaterThanOrEqualTo(prompt[r]).isLessThan(len);
        }
        double onePass = m.loss(tb.ids(), tb.batch(), tb.seqLen(), null, tb.pattern(), tb.rows(), tb.targets(), tb.weights());
        assertThat(onePass).isCloseTo(blockByBlock(m, tb, len, blockSize, false), offset(1e-4 * Math.abs(onePass)));
    }

    @Test
    void weightsAreOneOverTheBlockRatePerNoisableToken() {
        Random rnd = new Random(2);
        int b = 3, len = 12, blockSize = 4;
        // at rate 1 every answer token is masked, with weight 1/(1 · L · B): the loss is the mean CE per token
        TrainBatch full = new BlockDiffusionObjective(MASK, blockSize, 1, 1, false, false)
                .corrupt(CleanBatch.of(cleanIds(rnd, b * len), b, len), new Rng(1));
        assertThat(full.rows()).hasSize(b * len);
        for (float w : full.weights()) assertThat(w).isCloseTo(1f / (b * len), offset(1e-7f));
        // over many draws each block masks about a fraction p_b of its tokens, and Σ weights ≈ 1 per row on average
        double sum = 0;
        int draws = 400;
        BlockDiffusionObjective obj = new BlockDiffusionObjective(MASK, blockSize, 0.2, 0.9, false, false);
        Rng r = new Rng(3);
        for (int d = 0; d < draws; d++) for (float w : obj.corrupt(CleanBatch.of(cleanIds(rnd, b * len), b, len), r).weights()) sum += w;
        assertThat(sum / draws).isCloseTo(1.0, offset(0.05));
    }

    @Test
    void blockSizeOneAtFullMaskingIsNextTokenPredictionFromTheCleanCopy() {
        // with a shift, blocks of 1 and every token masked, position i ≥ 1 is scored by the clean copy at i−1, which
        // sees the clean tokens up to i−1 at positions 0..i−1: exactly the autoregressive model's prediction
        Transformer m = model(6);
        Random rnd = new Random(4);
        int b = 2, len = 8;
        CleanBatch clean = CleanBatch.of(cleanIds(rnd, b * len), b, len);
        TrainBatch tb = new BlockDiffusionObjective(MASK, 1, 1, 1, false, true).corrupt(clean, new Rng(2));
        TrainBatch ar = new AutoregressiveObjective().corrupt(clean, new Rng(2));
        int[] rows = new int[ar.rows().length], targets = new int[rows.length];
        int n = 0;
        for (int i = 0; i < tb.rows().length; i++) {
            if (tb.rows()[i] % (2 * len) == 0) continue;   // position 0 has nothing before it: scored from its own mask
            rows[n] = tb.rows()[i];
            targets[n++] = tb.targets()[i];
        }
        assertThat(n).isEqualTo(rows.length);
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        double block = m.loss(tb.ids(), b, 2 * len, null, tb.pattern(), rows, targets, ones);
        double next = m.loss(ar.ids(), b, len, null, AttentionPattern.CAUSAL, ar.rows(), ar.targets(), ones);
        assertThat(targets).containsExactly(ar.targets());
        assertThat(block).isCloseTo(next, offset(1e-5 * Math.abs(next)));
    }
}
