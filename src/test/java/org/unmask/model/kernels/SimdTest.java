package org.unmask.model.kernels;

import org.unmask.compute.Simd;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class SimdTest {

    @Test
    void expIsWithinAFewUlpOfMathExpAcrossTheFloatRange() {
        int lanes = Simd.S.length();
        float[] x = new float[lanes], y = new float[lanes];
        double worst = 0;
        for (float start = -87f; start < 87.5f; start += 0.013f * lanes) {
            for (int i = 0; i < lanes; i++) x[i] = start + 0.013f * i;
            Simd.exp(FloatVector.fromArray(Simd.S, x, 0)).intoArray(y, 0);
            for (int i = 0; i < lanes; i++) {
                double ref = Math.exp(x[i]);
                worst = Math.max(worst, Math.abs(y[i] - ref) / ref);
            }
        }
        assertThat(worst).isLessThan(4e-7);
    }

    @Test
    void expOfMinusInfinityAndVeryNegativeInputsIsExactlyZero() {
        int lanes = Simd.S.length();
        float[] x = new float[lanes], y = new float[lanes];
        java.util.Arrays.fill(x, Float.NEGATIVE_INFINITY);
        x[0] = -100f;
        x[lanes - 1] = 0f;
        Simd.exp(FloatVector.fromArray(Simd.S, x, 0)).intoArray(y, 0);
        for (int i = 0; i < lanes - 1; i++) assertThat(y[i]).isZero();
        assertThat(y[lanes - 1]).isEqualTo(1f);
        x[1] = Float.NaN;
        Simd.exp(FloatVector.fromArray(Simd.S, x, 0)).intoArray(y, 0);
        assertThat(y[1]).isNaN();
    }

    @Test
    void sumAddsEveryLane() {
        int lanes = Simd.S.length();
        float[] x = new float[lanes];
        for (int i = 0; i < lanes; i++) x[i] = i + 1;
        assertThat(Simd.sum(FloatVector.fromArray(Simd.S, x, 0))).isEqualTo(lanes * (lanes + 1) / 2f);
        for (int i = 0; i < lanes; i++) x[i] = 0.1f * (i % 3) - 0.05f;
        double ref = 0;
        for (float v : x) ref += v;
        assertThat((double) Simd.sum(FloatVector.fromArray(Simd.S, x, 0))).isCloseTo(ref, offset(1e-6));
    }

    @Test
    void arrayLoopsMatchPlainLoopsAtEveryLengthAndOffset() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        int lanes = Simd.S.length();
        for (int n : new int[]{0, 1, lanes - 1, lanes, lanes + 1, 3 * lanes + 5, 100}) {
            for (int off : new int[]{0, 3}) {
                float[] a = new float[off + n + 2];
                for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextDouble() * 20 - 10);
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int i = 0; i < n; i++) max = Math.max(max, a[off + i]);
                assertThat((double) Simd.max(a, off, n)).as("max n=%d", n).isEqualTo(max);
                float shift = n == 0 ? 0f : (float) max;
                for (int i = 0; i < n; i++) sum += Math.exp(a[off + i] - shift);
                assertThat(Simd.expSum(a, off, n, shift)).as("expSum n=%d", n).isCloseTo(sum, offset(1e-6 * sum + 1e-12));

                float[] b = a.clone();
                float total = Simd.expInPlace(b, off, n, shift);
                assertThat((double) total).as("expInPlace sum n=%d", n).isCloseTo(sum, offset(1e-6 * sum + 1e-12));
                float[] c = a.clone();
                Simd.scaledExpInPlace(c, off, n, shift - 0.25, 0.5f);
                for (int i = 0; i < a.length; i++) {
                    boolean inside = i >= off && i < off + n;
                    // float inputs and a float shift: rounding the difference alone costs ~1e-6 relative at |x| ~ 10
                    double e = Math.exp(a[i] - shift);
                    assertThat((double) b[i]).as("expInPlace n=%d at %d", n, i).isCloseTo(inside ? e : a[i], offset(inside ? 2e-6 * e : 0));
                    double s = 0.5 * Math.exp(a[i] - (shift - 0.25));
                    assertThat((double) c[i]).as("scaledExpInPlace n=%d at %d", n, i).isCloseTo(inside ? s : a[i], offset(inside ? 2e-6 * s : 0));
                }
            }
        }
    }

    @Test
    void sigmoidMatchesItsDefinition() {
        int lanes = Simd.S.length();
        float[] x = new float[lanes], y = new float[lanes];
        for (float start = -30f; start < 30f; start += 0.37f * lanes) {
            for (int i = 0; i < lanes; i++) x[i] = start + 0.37f * i;
            Simd.sigmoid(FloatVector.fromArray(Simd.S, x, 0)).intoArray(y, 0);
            for (int i = 0; i < lanes; i++) assertThat((double) y[i]).isCloseTo(1 / (1 + Math.exp(-x[i])), offset(1e-7));
        }
    }
}
