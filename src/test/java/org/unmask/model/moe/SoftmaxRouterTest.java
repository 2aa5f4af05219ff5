package org.unmask.model.moe;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** The LLaDA-MoE router against {@link RouterReference#softmax}. */
class SoftmaxRouterTest {

    @Test
    void matchesTheReferenceWithAndWithoutBiasAndRenormalisation() {
        SplittableRandom rnd = new SplittableRandom(11);
        int T = 100, E = 64;
        float[] logits = new float[T * E];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (rnd.nextGaussian() * 3);
        float[] bias = new float[E];
        for (int e = 0; e < E; e++) bias[e] = (float) (rnd.nextDouble() * 0.02 - 0.01);
        for (boolean norm : new boolean[]{false, true}) {
            for (float[] b : new float[][]{null, bias}) {
                SoftmaxRouterConfig c = new SoftmaxRouterConfig(E, 8, norm);
                Routing r = new SoftmaxRouter(c, b).route(logits, T);
                for (int t = 0; t < T; t++) {
                    RouterReference.Choice ref = RouterReference.softmax(SigmoidRouterTest.row(logits, t, E),
                            b == null ? null : SigmoidRouterTest.toDouble(b), c);
                    for (int j = 0; j < 8; j++) {
                        assertThat(r.expert(t, j)).as("norm=%s bias=%s token %d slot %d", norm, b != null, t, j)
                                .isEqualTo(ref.experts()[j]);
                        assertThat((double) r.weight(t, j)).isCloseTo(ref.weights()[j], offset(1e-6));
                    }
                }
            }
        }
    }

    @Test
    void biasChangesTheWeightsAsWellAsTheSelection() {
        SoftmaxRouterConfig c = new SoftmaxRouterConfig(4, 2, false);
        float[] logits = {2f, 1f, 0f, 0f};
        double z = Math.exp(2) + Math.exp(1) + 2;
        Routing plain = new SoftmaxRouter(c, null).route(logits, 1);
        assertThat(plain.experts()).containsExactly(0, 1);
        assertThat((double) plain.weight(0, 1)).isCloseTo(Math.exp(1) / z, offset(1e-6));
        // the bias lifts expert 3 above expert 1, and its weight is probability + bias
        Routing biased = new SoftmaxRouter(c, new float[]{0, 0, 0, 0.3f}).route(logits, 1);
        assertThat(biased.experts()).containsExactly(0, 3);
        assertThat((double) biased.weight(0, 1)).isCloseTo(1 / z + 0.3, offset(1e-6));
    }

    @Test
    void tiesGoToTheLowerIndex() {
        Routing r = new SoftmaxRouter(new SoftmaxRouterConfig(6, 3, true), null).route(new float[]{0, 1, 1, 0, 1, 1}, 1);
        assertThat(r.experts()).containsExactly(1, 2, 4);
        for (int j = 0; j < 3; j++) assertThat(r.weight(0, j)).isCloseTo(1f / 3, offset(1e-6f));
    }

    @Test
    void rejectsInconsistentSettings() {
        assertThatThrownBy(() -> new SoftmaxRouterConfig(4, 5, false)).hasMessageContaining("num_experts_per_tok");
        assertThatThrownBy(() -> new SoftmaxRouter(new SoftmaxRouterConfig(4, 2, false), new float[3]))
                .hasMessageContaining("expert_bias has 3");
    }
}
