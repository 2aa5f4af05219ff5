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
}
