package org.unmask.diffusion;

import org.junit.jupiter.api.Test;
import org.unmask.model.ModelConfig;
import org.unmask.model.Transformer;
import org.unmask.model.kernels.AttentionPattern;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SampleJudgeTest {
    static final ModelConfig C = new ModelConfig(32, 2, 4, 4, 64, 50, 50, 64, 10000.0, 1e-5, false, 2, 0, 0, 1);

    @Test void unigramEntropyOfKnownDistributions() {
        assertThat(SampleJudge.unigramEntropyBits(List.of(new int[] {5, 5, 5}, new int[] {5}))).isCloseTo(0, within(1e-12));
        assertThat(SampleJudge.unigramEntropyBits(List.of(new int[] {3, 4}, new int[] {3, 4}))).isCloseTo(1, within(1e-12));
        assertThat(SampleJudge.unigramEntropyBits(List.of(new int[] {1, 2, 3, 4, 5, 6, 7, 8}))).isCloseTo(3, within(1e-12));
    }

    @Test void perplexityIsTheJudgesNextTokenLikelihoodOfTheGeneratedTokensOnly() {
        Transformer judge = Transformer.randomInit(C, 5);
        int[] p1 = {1, 7}, s1 = {9, 9, 12}, p2 = {1}, s2 = {30, 4};
        SampleJudge.Verdict v = SampleJudge.judge(judge, List.of(p1, p2), List.of(s1, s2));
        // independently: each generated token scored by the causal output of the position before it
        double nats = nll(judge, new int[] {1, 7, 9, 9, 12}, 2) + nll(judge, new int[] {1, 30, 4}, 1);
        assertThat(v.tokens()).isEqualTo(5);
        assertThat(v.nllBitsPerToken()).isCloseTo(nats / 5 / Math.log(2), within(1e-5));
        assertThat(v.perplexity()).isCloseTo(Math.exp(nats / 5), within(1e-3));
        assertThat(v.distinctTokens()).isEqualTo(4);
        assertThat(v.unigramEntropyBits()).isCloseTo(SampleJudge.unigramEntropyBits(List.of(s1, s2)), within(1e-12));
        assertThatThrownBy(() -> SampleJudge.judge(judge, List.of(new int[0]), List.of(s1))).hasMessageContaining("prompt token");
    }

    private static double nll(Transformer m, int[] ids, int first) {
        float[] logits = m.logits(ids, 1, ids.length, null, null, AttentionPattern.CAUSAL);
        int v = C.embeddingSize();
        double total = 0;
        for (int i = first; i < ids.length; i++) {
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int j = 0; j < v; j++) max = Math.max(max, logits[(i - 1) * v + j]);
            for (int j = 0; j < v; j++) z += Math.exp(logits[(i - 1) * v + j] - max);
            total += max + Math.log(z) - logits[(i - 1) * v + ids[i]];
        }
        return total;
    }
}
