package org.unmask.train;

import org.junit.jupiter.api.Test;
import org.unmask.model.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class AdamWTest {

    private static Parameters params() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("w", new long[]{2, 2});
        shapes.put("norm", new long[]{2});
        Parameters p = new Parameters(shapes);
        System.arraycopy(new float[]{1f, -2f, 0.5f, 3f, 1f, 1f}, 0, p.values(), 0, 6);
        System.arraycopy(new float[]{0.1f, -0.2f, 0f, 4f, 0.3f, -0.5f}, 0, p.grads(), 0, 6);
        return p;
    }

    /** torch.optim.AdamW's update for one element, in double. */
    private static double[] reference(double w, double[] g, double lr, double b1, double b2, double eps, double wd) {
        double m = 0, v = 0;
        for (int t = 1; t <= g.length; t++) {
            w *= 1 - lr * wd;
            m = b1 * m + (1 - b1) * g[t - 1];
            v = b2 * v + (1 - b2) * g[t - 1] * g[t - 1];
            double mh = m / (1 - Math.pow(b1, t)), vh = v / (1 - Math.pow(b2, t));
            w -= lr * mh / (Math.sqrt(vh) + eps);
        }
        return new double[]{w, m, v};
    }

    @Test
    void firstStepMatchesAHandComputation() {
        Parameters p = params();
        AdamW opt = new AdamW(p, 0.9, 0.95, 1e-8, 0.1);
        opt.step(0.01);
        // step 1: m̂ = g, v̂ = g², so w ← w·(1 − lr·wd) − lr·g/(|g| + eps) = w·0.999 − 0.01·sign(g)
        assertThat(p.values()[0]).isCloseTo(1f * 0.999f - 0.01f, offset(1e-6f));
        assertThat(p.values()[1]).isCloseTo(-2f * 0.999f + 0.01f, offset(1e-6f));
        assertThat(p.values()[2]).isCloseTo(0.5f * 0.999f, offset(1e-6f));       // zero gradient: decay only
        assertThat(p.values()[3]).isCloseTo(3f * 0.999f - 0.01f, offset(1e-6f));
        assertThat(p.values()[4]).isCloseTo(1f - 0.01f, offset(1e-6f));           // norm weight: no decay
        assertThat(p.values()[5]).isCloseTo(1f + 0.01f, offset(1e-6f));
        assertThat(opt.m()[3]).isCloseTo(0.4f, offset(1e-6f));
        assertThat(opt.v()[3]).isCloseTo(0.05f * 16f, offset(1e-6f));
        assertThat(opt.steps()).isEqualTo(1);
    }

    @Test
    void severalStepsMatchTheReference() {
        Parameters p = params();
        AdamW opt = new AdamW(p, 0.9, 0.999, 1e-8, 0.01);
        double[][] gs = {{0.1, -0.3, 0.2}, {-0.2, 0.5, 0.5}};
        for (int s = 0; s < 3; s++) {
            p.grads()[1] = (float) gs[0][s];
            p.grads()[5] = (float) gs[1][s];
            opt.step(0.05);
        }
        double[] w = reference(-2, gs[0], 0.05, 0.9, 0.999, 1e-8, 0.01);
        double[] n = reference(1, gs[1], 0.05, 0.9, 0.999, 1e-8, 0.0);
        assertThat((double) p.values()[1]).isCloseTo(w[0], offset(1e-5));
        assertThat((double) opt.m()[1]).isCloseTo(w[1], offset(1e-6));
        assertThat((double) opt.v()[1]).isCloseTo(w[2], offset(1e-7));
        assertThat((double) p.values()[5]).isCloseTo(n[0], offset(1e-5));
    }

    @Test
    void restoredStateContinuesIdentically() {
        Parameters a = params(), b = params();
        AdamW oa = new AdamW(a, 0.9, 0.95, 1e-8, 0.1);
        oa.step(0.01);
        AdamW ob = new AdamW(b, 0.9, 0.95, 1e-8, 0.1);
        System.arraycopy(a.values(), 0, b.values(), 0, 6);
        ob.restore(oa.m().clone(), oa.v().clone(), oa.steps());
        oa.step(0.01);
        ob.step(0.01);
        assertThat(b.values()).containsExactly(a.values());
        assertThatThrownBy(() -> ob.restore(new float[3], new float[6], 1)).hasMessageContaining("3/6 moments");
    }

    @Test
    void gradClipScalesToTheMaximumNorm() {
        float[] g = {3f, 4f, 0f};
        assertThat(GradClip.clipGlobalNorm(g, 1.0)).isCloseTo(5.0, offset(1e-12));
        assertThat(g).containsExactly(0.6f, 0.8f, 0f);
        float[] small = {0.3f, 0.4f};
        assertThat(GradClip.clipGlobalNorm(small, 1.0)).isCloseTo(0.5, offset(1e-7));
        assertThat(small).containsExactly(0.3f, 0.4f);
        float[] bad = {Float.NaN, 1f};
        assertThat(GradClip.clipGlobalNorm(bad, 1.0)).isNaN();
        assertThat(bad[1]).isEqualTo(1f);
    }
}
