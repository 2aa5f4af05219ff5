package org.unmask.model.kernels;

import org.unmask.compute.Parallel;

/**
 * GELU in its exact form, {@code gelu(u) = u · Φ(u) = u/2 · (1 + erf(u/√2))}, as BERT's {@code hidden_act "gelu"}
 * and torch's default compute it (not the tanh approximation). Java has no erf: {@link #erf} computes it in double
 * to about 1e-14 (the reference the tests hold the kernels to), the kernels use a fit accurate to float32.
 */
public final class Gelu {
    private Gelu() {}

    private static final double SQRT_HALF = Math.sqrt(0.5), TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI), INV_SQRT_PI = 1 / Math.sqrt(Math.PI);

    /** The error function: its Maclaurin series below 2.5, the continued fraction of erfc above, ±1 beyond 6. */
    public static double erf(double x) {
        double a = Math.abs(x), r;
        if (a > 6) {
            r = 1;   // erfc(6) < 3e-17: below double's resolution of 1
        } else if (a < 2.5) {
            // erf(a) = 2/√π · Σ (−1)ⁿ a^(2n+1) / (n!·(2n+1)); the largest term at a = 2.5 costs 1e-14 of cancellation
            double t = a, s = a, a2 = a * a;
            for (int n = 1; n < 100; n++) {
                t = -t * a2 / n;
                double term = t / (2 * n + 1);
                s += term;
                if (Math.abs(term) < 1e-17 * Math.abs(s)) break;
            }
            r = s * TWO_OVER_SQRT_PI;
        } else {
            // erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), converged by depth 60 for a ≥ 2.5
            double f = a;
            for (int k = 60; k >= 1; k--) f = a + (k * 0.5) / f;
            r = 1 - Math.exp(-a * a) * INV_SQRT_PI / f;
        }
        return x < 0 ? -r : r;
    }

    /**
     * erfc(z) for z ≥ 0 by the Chebyshev fit of Numerical Recipes (2nd ed., §6.2, erfcc): one exp, relative error
     * below 1.2e-7 (float32's resolution) everywhere; the kernels use it because the series of {@link #erf} costs
     * tens of divisions per element, as much as the matrix products around it.
     */
    static double erfcFit(double z) {
        double t = 1 / (1 + 0.5 * z);
        return t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    }

    /** The standard normal CDF Φ(u) = erfc(−u/√2)/2, from {@link #erfcFit}. */
    static double cdf(double u) {
        double half = 0.5 * erfcFit(Math.abs(u) * SQRT_HALF);
        return u >= 0 ? 1 - half : half;
    }

    /** {@code gelu(u)} of one value. */
    public static float gelu(float u) { return (float) (u * cdf(u)); }

    /** {@code out[i] = gelu(u[i])} for {@code n} values (in place when {@code out == u}). */
    public static void forward(float[] out, float[] u, int n) {
        Parallel.forRange(n, 4096, (i0, i1) -> {
            for (int i = i0; i < i1; i++) out[i] = gelu(u[i]);
        });
    }

    /** {@code du[i] = dout[i] · gelu'(u[i])}, with {@code gelu'(u) = Φ(u) + u·φ(u)}. */
    public static void backward(float[] du, float[] dout, float[] u, int n) {
        Parallel.forRange(n, 4096, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double x = u[i];
                du[i] = (float) (dout[i] * (cdf(x) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI));
            }
        });
    }
}
