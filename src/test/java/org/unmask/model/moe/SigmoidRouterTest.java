package org.unmask.model.moe;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** The LLaDA 2.x router against {@link RouterReference#sigmoid}, and hand-built cases for bias, groups and ties. */
class SigmoidRouterTest {

    @Test
    void matchesTheReferenceOnRandomLogitsWithBias() {
        SigmoidRouterConfig c = new SigmoidRouterConfig(32, 4, 8, 3, true, 2.5f);
        SplittableRandom rnd = new SplittableRandom(7);
        int T = 200;
        float[] logits = new float[T * 32];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (rnd.nextGaussian() * 2);
        float[] bias = new float[32];
        for (int e = 0; e < 32; e++) bias[e] = (float) (rnd.nextDouble() * 0.4 - 0.2);
        Routing r = new SigmoidRouter(c, bias).route(logits, T);
        for (int t = 0; t < T; t++) {
            RouterReference.Choice ref = RouterReference.sigmoid(row(logits, t, 32), toDouble(bias), c);
            double sum = 0;
            for (int j = 0; j < 4; j++) {
                assertThat(r.expert(t, j)).as("token %d slot %d", t, j).isEqualTo(ref.experts()[j]);
                assertThat((double) r.weight(t, j)).isCloseTo(ref.weights()[j], offset(1e-6));
                sum += r.weight(t, j);
            }
            assertThat(sum).as("weights sum to routed_scaling_factor").isCloseTo(2.5, offset(1e-5));
        }
    }

    @Test
    void biasFlipsTheChosenGroupButNotTheWeights() {
        // 4 groups of 2; one group kept, two experts. Unbiased, group 0 {0,1} wins (0.881 + 0.870);
        // a bias of 0.5 on experts 4 and 5 lifts group 2 to 1.0 + 0.975 and takes the selection there.
        SigmoidRouterConfig c = new SigmoidRouterConfig(8, 2, 4, 1, true, 2.5f);
        float[] logits = {2.0f, 1.9f, 1.0f, 0.9f, 0.0f, -0.1f, -1f, -1f};
        Routing plain = new SigmoidRouter(c, null).route(logits, 1);
        assertThat(plain.experts()).containsExactly(0, 1);

        float[] bias = {0, 0, 0, 0, 0.5f, 0.5f, 0, 0};
        Routing biased = new SigmoidRouter(c, bias).route(logits, 1);
        assertThat(biased.experts()).containsExactly(4, 5);
        double s4 = 1 / (1 + Math.exp(0.0)), s5 = 1 / (1 + Math.exp(0.1));
        // weights from the unbiased scores: 0.5 and 0.475 normalised, not 1.0 and 0.975
        assertThat((double) biased.weight(0, 0)).isCloseTo(2.5 * s4 / (s4 + s5), offset(1e-6));
        assertThat((double) biased.weight(0, 1)).isCloseTo(2.5 * s5 / (s4 + s5), offset(1e-6));
    }

    @Test
    void groupLimitExcludesAStrongExpertInAWeakGroup() {
        // expert 7 has the best single score, but its group {6,7} sums lower than {0,1}: with one group kept it loses
        SigmoidRouterConfig c = new SigmoidRouterConfig(8, 2, 4, 1, true, 1f);
        float[] logits = {1.5f, 1.5f, -2f, -2f, -2f, -2f, -5f, 3f};
        assertThat(new SigmoidRouter(c, null).route(logits, 1).experts()).containsExactly(0, 1);
        // with every group kept it is chosen first
        SigmoidRouterConfig all = new SigmoidRouterConfig(8, 2, 4, 4, true, 1f);
        assertThat(new SigmoidRouter(all, null).route(logits, 1).experts()).containsExactly(7, 0);
    }

    @Test
    void tiesGoToTheLowerIndexForGroupsAndExperts() {
        SigmoidRouterConfig c = new SigmoidRouterConfig(16, 3, 4, 2, true, 2f);
        Routing r = new SigmoidRouter(c, null).route(new float[16], 1);
        // all groups tie: groups 0 and 1 are kept; all experts tie: 0, 1, 2 in that order, equal weights
        assertThat(r.experts()).containsExactly(0, 1, 2);
        for (int j = 0; j < 3; j++) assertThat(r.weight(0, j)).isCloseTo(2f / 3, offset(1e-6f));

        // a tie inside a kept group between experts 5 and 4: the lower index ranks first
        float[] logits = new float[16];
        logits[4] = 1; logits[5] = 1; logits[6] = 1;
        assertThat(new SigmoidRouter(c, null).route(logits, 1).experts()).containsExactly(4, 5, 6);
    }

    @Test
    void singleExpertIsNotNormalisedAndOneGroupMeansPlainTopK() {
        SigmoidRouterConfig one = new SigmoidRouterConfig(4, 1, 1, 1, true, 2.5f);
        Routing r = new SigmoidRouter(one, null).route(new float[]{0f, 1f, -1f, 0.5f}, 1);
        assertThat(r.experts()).containsExactly(1);
        assertThat((double) r.weight(0, 0)).isCloseTo(2.5 / (1 + Math.exp(-1)), offset(1e-6));

        SigmoidRouterConfig unnormalised = new SigmoidRouterConfig(4, 2, 1, 1, false, 1f);
        Routing u = new SigmoidRouter(unnormalised, null).route(new float[]{0f, 1f, -1f, 0.5f}, 1);
        assertThat(u.experts()).containsExactly(1, 3);
        assertThat((double) u.weight(0, 1)).isCloseTo(1 / (1 + Math.exp(-0.5)), offset(1e-6));
    }

    @Test
    void routesManyTokensIndependently() {
        SigmoidRouterConfig c = SigmoidRouterConfig.lladaMini();
        SplittableRandom rnd = new SplittableRandom(3);
        int T = 64;
        float[] logits = new float[T * 256];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) rnd.nextGaussian();
        Routing all = new SigmoidRouter(c, null).route(logits, T);
        for (int t = 0; t < T; t += 9) {
            Routing one = new SigmoidRouter(c, null).route(row(logits, t), 1);
            for (int j = 0; j < 8; j++) {
                assertThat(all.expert(t, j)).isEqualTo(one.expert(0, j));
                assertThat(all.weight(t, j)).isEqualTo(one.weight(0, j));
            }
        }
    }

    @Test
    void rejectsInconsistentSettings() {
        assertThatThrownBy(() -> new SigmoidRouterConfig(256, 8, 7, 4, true, 2.5f)).hasMessageContaining("n_group");
        assertThatThrownBy(() -> new SigmoidRouterConfig(256, 8, 8, 9, true, 2.5f)).hasMessageContaining("topk_group");
        assertThatThrownBy(() -> new SigmoidRouterConfig(16, 9, 8, 4, true, 2.5f))
                .hasMessageContaining("num_experts_per_tok").hasMessageContaining("1..8");
        assertThatThrownBy(() -> new SigmoidRouterConfig(8, 2, 8, 4, true, 2.5f)).hasMessageContaining("2 experts per group");
        assertThatThrownBy(() -> new SigmoidRouterConfig(8, 2, 2, 1, true, 0f)).hasMessageContaining("routed_scaling_factor");
        SigmoidRouterConfig c = new SigmoidRouterConfig(8, 2, 2, 1, true, 1f);
        assertThatThrownBy(() -> new SigmoidRouter(c, new float[7])).hasMessageContaining("expert_bias has 7");
        assertThatThrownBy(() -> new SigmoidRouter(c, null).route(new float[15], 2)).hasMessageContaining("16");
    }

    private static float[] row(float[] a, int t) {
        return java.util.Arrays.copyOfRange(a, t * 256, (t + 1) * 256);
    }

    static double[] row(float[] a, int t, int width) {
        double[] r = new double[width];
        for (int i = 0; i < width; i++) r[i] = a[t * width + i];
        return r;
    }

    static double[] toDouble(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }
}
