package org.unmask.model.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/**
 * Each dot tile directly, since {@link MatMul} uses only the one that suits this CPU's register count
 * (the 2-row tile on AVX2, the 4-row tile on AVX-512).
 */
class MicroKernelsTest {

    @Test
    void dotTilesMatchReferenceAndHonourAddFlag() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int kc : new int[]{1, 5, MicroKernels.L, MicroKernels.L + 3, 3 * MicroKernels.L + 1, 100}) {
            for (int rows : new int[]{2, 4}) {
                for (boolean add : new boolean[]{false, true}) {
                    int as = kc + 2, bs = kc + 5, cs = 7;
                    float[] a = MatMulTest.random(rnd, 1 + rows * as), b = MatMulTest.random(rnd, 2 + 4 * bs);
                    float[] c = MatMulTest.random(rnd, 3 + rows * cs), before = c.clone();
                    if (rows == 4) MicroKernels.dot4x4(a, 1, as, b, 2, bs, kc, c, 3, cs, add);
                    else MicroKernels.dot2x4(a, 1, as, b, 2, bs, kc, c, 3, cs, add);
                    for (int r = 0; r < rows; r++)
                        for (int q = 0; q < 4; q++) {
                            double ref = add ? before[3 + r * cs + q] : 0, mag = Math.abs(ref);
                            for (int k = 0; k < kc; k++) {
                                double p = (double) a[1 + r * as + k] * b[2 + q * bs + k];
                                ref += p; mag += Math.abs(p);
                            }
                            assertThat((double) c[3 + r * cs + q]).as("dot%dx4 kc=%d add=%s at %d,%d", rows, kc, add, r, q)
                                    .isCloseTo(ref, offset(1e-5 * mag + 1e-6));
                        }
                    for (int i = 0; i < c.length; i++) {
                        boolean inTile = i >= 3 && (i - 3) / cs < rows && (i - 3) % cs < 4;
                        if (!inTile) assertThat(c[i]).as("dot%dx4 wrote outside the tile at %d", rows, i).isEqualTo(before[i]);
                    }
                }
            }
        }
    }
}
