package org.unmask.model.kernels;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** erf against the values of the C library's erf (as Python's math.erf prints them), and GELU's derivative against finite differences. */
class GeluTest {

    @Test void erfMatchesTabulatedValuesOnBothSidesOfTheSwitchBetweenSeriesAndContinuedFraction() {
        double[][] table = {{0, 0}, {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149},
                {2, 0.9953222650189527}, {2.4, 0.9993114861033550}, {2.5, 0.9995930479825550}, {3, 0.9999779095030014},
                {4, 0.9999999845827421}, {7, 1}};
        for (double[] row : table) {
            assertThat(Gelu.erf(row[0])).as("erf(%s)", row[0]).isCloseTo(row[1], offset(1e-13));
            assertThat(Gelu.erf(-row[0])).as("erf(-%s)", row[0]).isCloseTo(-row[1], offset(1e-13));
        }
    }

    @Test void theKernelsFitOfTheCdfIsWithinFloat32OfTheSeries() {
        for (double u = -12; u <= 12; u += 0.001) {
            double exact = 0.5 * (1 + Gelu.erf(u / Math.sqrt(2)));
            assertThat(Gelu.cdf(u)).as("Φ(%s)", u).isCloseTo(exact, offset(1e-7 + 1.2e-7 * Math.min(exact, 1 - exact)));
            // relative accuracy in the left tail, where 1 + erf in double still has digits to compare with
            if (u < 0 && u > -5) assertThat(Gelu.cdf(u)).as("Φ(%s) relative", u).isCloseTo(exact, offset(1.2e-7 * exact));
        }
    }

    @Test void geluIsXTimesTheNormalCdfAndItsBackwardIsTheDerivative() {
        assertThat(Gelu.gelu(1f)).isCloseTo(0.8413447f, offset(1e-6f));     // Φ(1) = 0.841344746
        assertThat(Gelu.gelu(-2f)).isCloseTo(-0.0455003f, offset(1e-6f));   // −2·Φ(−2) = −2·0.0227501319
        float[] u = {-4f, -1.3f, -0.2f, 0f, 0.7f, 2.2f, 5f}, dout = {1f, 0.5f, -2f, 1f, 3f, 1f, -1f}, du = new float[u.length];
        Gelu.backward(du, dout, u, u.length);
        for (int i = 0; i < u.length; i++) {
            double h = 1e-4, fd = (0.5 * (u[i] + h) * (1 + Gelu.erf((u[i] + h) / Math.sqrt(2)))
                    - 0.5 * (u[i] - h) * (1 + Gelu.erf((u[i] - h) / Math.sqrt(2)))) / (2 * h);
            assertThat(du[i]).as("gelu'(%s)", u[i]).isCloseTo((float) (dout[i] * fd), offset(1e-5f));
        }
    }
}
