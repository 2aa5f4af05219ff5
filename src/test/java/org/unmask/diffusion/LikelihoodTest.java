package org.unmask.diffusion;

import org.junit.jupiter.api.Test;

import java.util.List;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class LikelihoodTest {
    private final FakeDenoiser model = new FakeDenoiser(16, 5);

    @Test
    void maskCountsMatchTheReferenceExamples() {
        assertThat(Likelihood.maskCounts(10, 4, 7)).containsExactly(7, 10, 2, 4);
        assertThat(Likelihood.maskCounts(3, 16, 2)).containsExactly(2, 2, 2, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2);
        int[] c = Likelihood.maskCounts(37, 16, 1);
        assertThat(c[0]).isEqualTo(1);
        assertThat(c[1]).isEqualTo(3);
        assertThat(c[2]).isEqualTo(6);
        assertThat(c[15]).isEqualTo(36);
    }

    @Test
    void maskCountsCoverOneToLWhenTheBatchIsAtLeastL() {
        for (int L = 1; L <= 12; L++) {
            for (int b = L; b <= 16; b++) {
                for (int k = 1; k <= L; k++) {
                    Set<Integer> seen = new HashSet<>();
                    for (int x : Likelihood.maskCounts(L, b, k)) {
                        assertThat(x).isBetween(1, L);
                        seen.add(x);
                    }
                    assertThat(seen).as("L=%d b=%d k=%d", L, b, k).hasSize(L);
                }
            }
        }
    }

    @Test
    void oneTokenAnswerIsExact() {
        int[] prompt = {1, 7, 9, 4}, answer = {11};
        float[] l = model.logits(new int[]{1, 7, 9, 4, 2}, 1, 5, null, new int[]{4});
        double exact = Likelihood.logSoftmax(l, 0, 16, 11);
        assertThat(Likelihood.logLikelihood(model, prompt, answer, 1, 1, 0, 3)).isEqualTo(exact);
        assertThat(Likelihood.logLikelihood(model, prompt, answer, 8, 4, 0, 99)).isCloseTo(exact, offset(1e-12));
    }

    @Test
    void oneTokenAnswerWithGuidanceUsesTheGuidedLogits() {
        int[] prompt = {1, 7, 9}, answer = {3};
        float[] c = model.logits(new int[]{1, 7, 9, 2}, 1, 4, null, new int[]{3});
        float[] u = model.logits(new int[]{2, 2, 2, 2}, 1, 4, null, new int[]{3});
        float[] g = new float[16];
        for (int v = 0; v < 16; v++) g[v] = u[v] + 1.5f * (c[v] - u[v]);
        double exact = Likelihood.logSoftmax(g, 0, 16, 3);
        assertThat(Likelihood.logLikelihood(model, prompt, answer, 2, 2, 0.5, 1)).isCloseTo(exact, offset(1e-12));
    }

    @Test
    void estimateConvergesToTheExactExpectationForTwoTokens() {
        int[] prompt = {1, 5}, answer = {8, 13};
        // E_l E_subset (L/l) Σ CE, enumerated: l = 1 (either token alone, weight 2), l = 2 (both, weight 1).
        double ce0 = -Likelihood.logSoftmax(model.logits(new int[]{1, 5, 2, 13}, 1, 4, null, new int[]{2}), 0, 16, 8);
        double ce1 = -Likelihood.logSoftmax(model.logits(new int[]{1, 5, 8, 2}, 1, 4, null, new int[]{3}), 0, 16, 13);
        float[] both = model.logits(new int[]{1, 5, 2, 2}, 1, 4, null, new int[]{2, 3});
        double ceBoth = -Likelihood.logSoftmax(both, 0, 16, 8) - Likelihood.logSoftmax(both, 16, 16, 13);
        double expected = -(0.5 * (2 * (ce0 + ce1) / 2) + 0.5 * ceBoth);
        double est = Likelihood.logLikelihood(model, prompt, answer, 4000, 2, 0, 11);
        assertThat(est).isCloseTo(expected, offset(0.05 * Math.abs(expected) + 0.02));
    }

    @Test
    void rejectsAnMcNumThatIsNotAMultipleOfTheBatch() {
        assertThatThrownBy(() -> Likelihood.logLikelihood(model, new int[]{1}, new int[]{3}, 10, 4, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--mc-num");
    }

    @Test
    void elboIsDeterministicAndExactForOneToken() {
        int[] text = {4, 9, 11, 3, 7, 5};
        double a = Elbo.estimate(model, List.of(ScoredSequence.of(text)), 8, 3, 0).natsPerToken();
        double b = Elbo.estimate(model, List.of(ScoredSequence.of(text)), 8, 5, 0).natsPerToken();
        assertThat(a).isEqualTo(b).isPositive();
        double one = Elbo.estimate(model, List.of(ScoredSequence.of(new int[]{9})), 4, 2, 0).natsPerToken();
        double exact = -Likelihood.logSoftmax(model.logits(new int[]{2}, 1, 1, null, new int[]{0}), 0, 16, 9);
        assertThat(one).isCloseTo(exact, offset(1e-12));
    }
    @Test
    void elboCurveIsTheMeanMaskedCrossEntropyAtEachRateAndAveragesToTheBound() {
        List<ScoredSequence> texts = List.of(ScoredSequence.of(new int[]{4, 9, 11, 3, 7, 5, 12, 1, 6, 8}),
                ScoredSequence.of(new int[]{3, 3, 14, 10, 2 + 11, 9}));
        int grid = 4;
        Elbo.Curve c = Elbo.curve(model, texts, grid, 3, 5);
        // independent: at t_k mask exactly ceil(t_k·L) tokens from the documented stream, average their CE over all
        // masked tokens of the window weighted by L/l, then over the windows' tokens
        double[] expected = new double[grid];
        int tokens = 0;
        for (int w = 0; w < texts.size(); w++) {
            int[] x = texts.get(w).tokens();
            tokens += x.length;
            for (int k = 0; k < grid; k++) {
                int l = (int) Math.ceil((k + 0.5) / grid * x.length);
                int[] noisy = x.clone();
                int[] at = new ForwardProcess(2).maskExactly(noisy, 0, x.length, l,
                        new java.util.SplittableRandom(Elbo.streamSeed(5, w, k)));
                float[] logits = model.logits(noisy, 1, x.length, null, at);
                double ce = 0;
                for (int i = 0; i < at.length; i++) ce -= Likelihood.logSoftmax(logits, i * 16, 16, x[at[i]]);
                expected[k] += (double) x.length / l * ce;
            }
        }
        double mean = 0;
        for (int k = 0; k < grid; k++) {
            assertThat(c.t()[k]).isEqualTo((k + 0.5) / grid);
            assertThat(c.natsPerMaskedToken()[k]).isCloseTo(expected[k] / tokens, offset(1e-12));
            mean += c.natsPerMaskedToken()[k] / grid;
        }
        assertThat(c.bound().natsPerToken()).isCloseTo(mean, offset(1e-12))
                .isEqualTo(Elbo.estimate(model, texts, grid, 2, 5).natsPerToken());
        assertThat(c.bound().tokens()).isEqualTo(tokens);
    }
}
