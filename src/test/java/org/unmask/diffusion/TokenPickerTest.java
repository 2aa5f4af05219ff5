package org.unmask.diffusion;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class TokenPickerTest {
    static final int V = 6, MASK = 2, EOS = 0, EOT = 5;
    // probabilities 0.4 0.05 0.05 0.25 0.15 0.1 (mask id 2 included, as in any real logit row)
    static final float[] LOGITS = logs(0.4, 0.05, 0.05, 0.25, 0.15, 0.1);

    static float[] logs(double... p) {
        float[] l = new float[p.length];
        for (int i = 0; i < p.length; i++) l[i] = (float) Math.log(p[i]);
        return l;
    }

    static double[] softmax(float[] l, double t) {
        double[] p = new double[l.length];
        double s = 0;
        for (int i = 0; i < l.length; i++) s += p[i] = Math.exp(l[i] / t);
        for (int i = 0; i < l.length; i++) p[i] /= s;
        return p;
    }

    static SamplerConfig.Builder cfg() { return SamplerConfig.builder(8, 8, 8).specialIds(MASK, EOS, EOT); }

    @Test
    void greedyLladaPicksTheArgmaxWithItsSoftmaxProbability() {
        TokenPicker p = new TokenPicker(cfg().build(), V);
        p.pickLlada(LOGITS, 0, new SplittableRandom(1));
        assertThat(p.token).isEqualTo(0);
        assertThat(p.confidence).isCloseTo(softmax(LOGITS, 1)[0], offset(1e-6));
    }

    @Test
    void gumbelMaxSamplesFromTheTemperedSoftmaxExcludingTheMask() {
        for (double t : new double[]{1.0, 0.5}) {
            TokenPicker p = new TokenPicker(cfg().temperature(t).build(), V);
            SplittableRandom rng = new SplittableRandom(7);
            int n = 40_000;
            int[] count = new int[V];
            for (int i = 0; i < n; i++) { p.pickLlada(LOGITS, 0, rng); count[p.token]++; }
            double[] q = softmax(LOGITS, t);
            double rest = 1 - q[MASK];
            assertThat(count[MASK]).isZero();
            for (int v = 0; v < V; v++)
                if (v != MASK) assertThat(count[v] / (double) n).as("T=%s v=%d", t, v).isCloseTo(q[v] / rest, offset(0.01));
        }
    }

    @Test
    void eosAndEotConfidenceRules() {
        float[] eosTop = logs(0.3, 0.1, 0.05, 0.25, 0.1, 0.2);
        TokenPicker banned = new TokenPicker(cfg().logitsEosInf(true).build(), V);
        banned.pickLlada(eosTop, 0, new SplittableRandom(1));
        assertThat(banned.token).isEqualTo(3);
        assertThat(banned.confidence).isCloseTo(0.25 / 0.7, offset(1e-6));

        TokenPicker zero = new TokenPicker(cfg().confidenceEosEotInf(true).build(), V);
        zero.pickLlada(eosTop, 0, new SplittableRandom(1));
        assertThat(zero.token).isEqualTo(EOS);
        assertThat(zero.confidence).isZero();
        zero.pickLlada(LOGITS, 0, new SplittableRandom(1));   // argmax EOS again
        assertThat(zero.confidence).isZero();
        float[] other = logs(0.2, 0.1, 0.05, 0.4, 0.1, 0.15);
        zero.pickLlada(other, 0, new SplittableRandom(1));
        assertThat(zero.token).isEqualTo(3);
        assertThat(zero.confidence).isCloseTo(0.4 / (1 - 0.2 - 0.15), offset(1e-6));   // EOS and EoT left out

        // The reference at T > 0 zeroes only EoT: an EOS pick keeps its probability (renormalised without EoT).
        TokenPicker quirk = new TokenPicker(cfg().confidenceEosEotInf(true).referenceEosQuirk(true).temperature(1e-6).build(), V);
        quirk.pickLlada(eosTop, 0, new SplittableRandom(1));
        assertThat(quirk.token).isEqualTo(EOS);
        assertThat(quirk.confidence).isCloseTo(0.3 / 0.8, offset(1e-6));
        TokenPicker fixed = new TokenPicker(cfg().confidenceEosEotInf(true).temperature(1e-6).build(), V);
        fixed.pickLlada(eosTop, 0, new SplittableRandom(1));
        assertThat(fixed.confidence).isZero();
    }

    @Test
    void dreamConfidencesAndFilters() {
        float[] l = logs(0.05, 0.1, 0.05, 0.5, 0.3, 0.0001);
        double z = 1.0001 - 0.05;   // the mask's mass is removed before Dream's softmax
        TokenPicker mg = new TokenPicker(cfg().remasking(Remasking.MASKGIT_PLUS).build(), V);
        mg.pickDream(l, 0, new SplittableRandom(1));
        assertThat(mg.token).isEqualTo(3);
        assertThat(mg.confidence).isCloseTo(0.5 / z, offset(1e-5));
        TokenPicker margin = new TokenPicker(cfg().remasking(Remasking.TOPK_MARGIN).build(), V);
        margin.pickDream(l, 0, new SplittableRandom(1));
        assertThat(margin.confidence).isCloseTo((0.5 - 0.3) / z, offset(1e-5));
        TokenPicker ent = new TokenPicker(cfg().remasking(Remasking.ENTROPY).build(), V);
        ent.pickDream(l, 0, new SplittableRandom(1));
        double e = 0;
        for (double p : new double[]{0.05, 0.1, 0.5, 0.3, 0.0001}) e += (p / z) * Math.log(p / z + 1e-10);
        assertThat(ent.confidence).isCloseTo(e, offset(1e-5));

        // top-p 0.7: 0.5/z = 0.526 < 0.7, then 0.3/z crosses it and is kept; everything below is dropped
        double[] p = new TokenPicker(cfg().remasking(Remasking.MASKGIT_PLUS).topP(0.7).build(), V).probabilities(l, 0);
        assertThat(p[3]).isCloseTo(0.5 / 0.8, offset(1e-6));
        assertThat(p[4]).isCloseTo(0.3 / 0.8, offset(1e-6));
        assertThat(p[0] + p[1] + p[2] + p[5]).isZero();
        // top-k 3 keeps 0.5, 0.3 and 0.1
        double[] k = new TokenPicker(cfg().remasking(Remasking.MASKGIT_PLUS).topK(3).build(), V).probabilities(l, 0);
        assertThat(k[1]).isCloseTo(0.1 / 0.9, offset(1e-6));
        assertThat(k[0] + k[2] + k[5]).isZero();
    }

    @Test
    void dreamSamplingFollowsTheTemperedDistribution() {
        TokenPicker p = new TokenPicker(cfg().remasking(Remasking.MASKGIT_PLUS).temperature(1).build(), V);
        SplittableRandom rng = new SplittableRandom(3);
        int n = 40_000;
        int[] count = new int[V];
        for (int i = 0; i < n; i++) { p.pickDream(LOGITS, 0, rng); count[p.token]++; }
        assertThat(count[MASK]).isZero();
        assertThat(count[0] / (double) n).isCloseTo(0.4 / 0.95, offset(0.01));
        assertThat(count[3] / (double) n).isCloseTo(0.25 / 0.95, offset(0.01));
    }
}
