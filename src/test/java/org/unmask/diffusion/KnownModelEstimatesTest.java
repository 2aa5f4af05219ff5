package org.unmask.diffusion;

import org.junit.jupiter.api.Test;
import org.unmask.model.KnownModels;
import org.unmask.model.Transformer;
import org.unmask.model.ModelConfig;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The likelihood estimators against values known in closed form, on real transformers whose predictions are known
 * (see {@link KnownModels}). The invariants hold for any estimator of LLaDA's bound that masks some tokens and weights
 * each masked token's cross-entropy by L / (number masked): on a model that predicts the same distribution q at every
 * masked position, a text made of one token x scores exactly L·(−log q(x)), whatever the grid, batch, seed, number of
 * draws or guidance weight. The softmax runs over all {@code embedding_size} logit columns (20 here, vocab_size 16), as
 * LLaDA's get_log_likelihood does over the model's full logit width.
 */
class KnownModelEstimatesTest {
    static final ModelConfig C = KnownModels.config();
    static final double LN_E = Math.log(C.embeddingSize());
    static final int A = 6, B = 7;              // the favoured token and another one
    static final double MARGIN = 40;
    final Transformer uniform = KnownModels.uniform(C, 3);
    final Transformer constant = KnownModels.constant(C, A, MARGIN, 4);

    static int[] repeat(int token, int n) {
        int[] a = new int[n];
        Arrays.fill(a, token);
        return a;
    }

    @Test
    void theKnownModelsPredictWhatTheyClaim() {
        // guards the premises of the other tests, independently of any estimator
        int[] ids = {5, 9, 2, 11, 2, 2, 14};
        int E = C.embeddingSize();
        float[] u = uniform.logits(ids, 1, ids.length, null, null);
        for (float v : u) assertThat(v).isZero();
        float[] c = constant.logits(ids, 1, ids.length, null, new int[]{2, 4, 5});
        double m = KnownModels.constantMargin(C, MARGIN);
        for (int r = 0; r < 3; r++)
            for (int v = 0; v < E; v++) assertThat((double) c[r * E + v]).isCloseTo(v == A ? m : 0, within(1e-5));
        // and the unmasked positions do not see that constant vector (so a scorer that forgets to mask gets no 0)
        float[] clean = constant.logits(ids, 1, ids.length, null, new int[]{0});
        assertThat((double) clean[A]).isNotCloseTo(m, within(1.0));
    }

    @Test
    void elboOfAUniformModelIsExactlyLnEPerToken() {
        int[] text = {6, 9, 3, 14, 15, 7, 7, 8, 10, 11, 12, 13, 4};
        for (int grid : new int[]{1, 3, 8})
            for (int batch : new int[]{1, 4})
                for (long seed : new long[]{0, 7}) {
                    double nll = nllBound(uniform, text, grid, batch, seed);
                    assertThat(nll).as("grid %d batch %d seed %d", grid, batch, seed)
                            .isCloseTo(text.length * LN_E, within(1e-9));
                }
    }

    @Test
    void likelihoodOfAUniformModelIsExactlyMinusLLnE() {
        int[] prompt = {1, 8, 9, 10}, answer = {6, 12, 3, 3, 15, 7};
        for (double cfg : new double[]{0, 0.7})
            for (int[] mb : new int[][]{{1, 1}, {8, 4}, {12, 12}}) {
                double ll = Likelihood.logLikelihood(uniform, prompt, answer, mb[0], mb[1], cfg, 5);
                assertThat(ll).as("cfg %s mc %d batch %d", cfg, mb[0], mb[1]).isCloseTo(-answer.length * LN_E, within(1e-9));
            }
    }

    @Test
    void aModelCertainOfTheTextScoresZero() {
        assertThat(nllBound(constant, repeat(A, 12), 6, 4, 1)).isCloseTo(0, within(1e-9));
        assertThat(Likelihood.logLikelihood(constant, new int[]{1, 9, 8}, repeat(A, 5), 8, 4, 0, 2)).isCloseTo(0, within(1e-9));
        assertThat(Likelihood.logLikelihood(constant, new int[]{1, 9, 8}, repeat(A, 5), 8, 4, 1.5, 2)).isCloseTo(0, within(1e-9));
    }

    @Test
    void aModelCertainOfAnotherTokenPaysTheExactMarginPerToken() {
        double other = KnownModels.constantNll(C, MARGIN, false);
        assertThat(other).isCloseTo(MARGIN / Math.sqrt(1 + C.rmsNormEps()), within(1e-12));
        assertThat(nllBound(constant, repeat(B, 12), 6, 4, 1)).isCloseTo(12 * other, within(12 * 1e-4));
        assertThat(Likelihood.logLikelihood(constant, new int[]{1, 9, 8}, repeat(B, 5), 8, 4, 0, 2))
                .isCloseTo(-5 * other, within(5 * 1e-4));
    }

    /** log softmax(logits[off .. off+n))[target], in double, written here rather than taken from the code under test. */
    static double logSoftmax(float[] logits, int off, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < n; v++) max = Math.max(max, logits[off + v]);
        double sum = 0;
        for (int v = 0; v < n; v++) sum += Math.exp(logits[off + v] - max);
        return logits[off + target] - max - Math.log(sum);
    }

    @Test
    void aOneTokenAnswerIsTheExactLogSoftmaxOfARandomModel() {
        Transformer m = KnownModels.random(C, 11);
        int[] prompt = {1, 9, 14, 6, 3};
        int E = C.embeddingSize();
        float[] logits = m.logits(new int[]{1, 9, 14, 6, 3, 2}, 1, 6, null, new int[]{5});
        for (int answer : new int[]{7, 17, 19}) {   // 17 and 19 are embedding rows beyond vocab_size
            double exact = logSoftmax(logits, 0, E, answer);
            assertThat(exact).isLessThan(-0.01);    // a real distribution, not a degenerate one
            for (int[] mb : new int[][]{{1, 1}, {4, 2}})
                assertThat(Likelihood.logLikelihood(m, prompt, new int[]{answer}, mb[0], mb[1], 0, 9))
                        .isCloseTo(exact, within(1e-9));
            // the ELBO of a one-token text is the exact NLL of that token with nothing else visible
            float[] alone = m.logits(new int[]{2}, 1, 1, null, new int[]{0});
            assertThat(nllBound(m, new int[]{answer}, 3, 2, 0)).isCloseTo(-logSoftmax(alone, 0, E, answer), within(1e-9));
        }
    }

    @Test
    void aOneTokenAnswerWithGuidanceUsesLladasGuidedLogits() {
        Transformer m = KnownModels.random(C, 12);
        int[] prompt = {1, 9, 14};
        int E = C.embeddingSize();
        float[] cond = m.logits(new int[]{1, 9, 14, 2}, 1, 4, null, new int[]{3});
        float[] unc = m.logits(new int[]{2, 2, 2, 2}, 1, 4, null, new int[]{3});   // the prompt masked too
        double w = 0.8;
        float[] g = new float[E];
        for (int v = 0; v < E; v++) g[v] = (float) (unc[v] + (w + 1) * (cond[v] - unc[v]));
        double exact = logSoftmax(g, 0, E, 8);
        assertThat(Math.abs(exact - logSoftmax(cond, 0, E, 8))).as("guidance changes the answer").isGreaterThan(1e-3);
        assertThat(Likelihood.logLikelihood(m, prompt, new int[]{8}, 2, 2, w, 1)).isCloseTo(exact, within(1e-5));
    }

    /** The ELBO of one whole text in nats (the estimator reports it per token). */
    private static double nllBound(org.unmask.model.Denoiser m, int[] text, int grid, int batch, long seed) {
        return Elbo.estimate(m, java.util.List.of(ScoredSequence.of(text)), grid, batch, seed).natsPerToken() * text.length;
    }
}
