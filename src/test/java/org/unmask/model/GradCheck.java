package org.unmask.model;

import java.util.Random;
import java.util.function.ToDoubleFunction;

import static org.assertj.core.api.Assertions.assertThat;

/** Central finite differences against an analytic gradient, for float32 code (loss summed in double). */
public final class GradCheck {
    private GradCheck() {}

    /**
     * Perturbs {@code x[i]} by ±h for {@code count} random indices in {@code [from, to)} and checks
     * {@code (f(x+h) − f(x−h)) / 2h ≈ grad[i]} within {@code atol + rtol·|grad|}.
     */
    public static void check(String what, float[] x, float[] grad, int from, int to, int count, float h,
                             double atol, double rtol, Random rnd, ToDoubleFunction<float[]> f) {
        boolean all = count >= to - from;
        for (int k = 0; k < (all ? to - from : count); k++) {
            int i = all ? from + k : from + rnd.nextInt(to - from);
            float saved = x[i];
            x[i] = saved + h;
            double up = f.applyAsDouble(x);
            x[i] = saved - h;
            double down = f.applyAsDouble(x);
            x[i] = saved;
            double fd = (up - down) / ((double) (saved + h) - (double) (saved - h));
            assertThat(grad[i]).as("%s: d/dx[%d] (finite difference %s)", what, i, fd)
                    .isCloseTo((float) fd, org.assertj.core.data.Offset.offset((float) (atol + rtol * Math.abs(fd))));
        }
    }

    /** {@code Σ r[i]·y[i]} in double: a scalar loss whose gradient with respect to y is r. */
    public static double dot(float[] r, float[] y) {
        double s = 0;
        for (int i = 0; i < r.length; i++) s += (double) r[i] * y[i];
        return s;
    }

    /** Gaussian floats with standard deviation {@code std}. */
    public static float[] gaussian(Random rnd, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (std * rnd.nextGaussian());
        return a;
    }
}
