package org.unmask.model.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/**
 * Each register tile directly against plain loops, since {@link MatMul} picks among them by the CPU's register count
 * and by the shape (the 2-row dot tile on AVX2, the 4-row one on AVX-512; the axpy tiles by strip width).
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

    /** An axpy tile: rows × vectors of C. */
    private interface Axpy {
        void run(float[] a, int a0, int ars, int acs, float[] b, int b0, int bs, int jc, float[] c, int c0, int cs);
    }

    @Test
    void axpyTilesAddAtimesBIntoTheirTileOnly() {
        SplittableRandom rnd = new SplittableRandom(6);
        int L = MicroKernels.L;
        Object[][] tiles = {
                {"axpy6x4", 6, 4, (Axpy) MicroKernels::axpy6x4},
                {"axpy6x2", 6, 2, (Axpy) MicroKernels::axpy6x2}, {"axpy6x1", 6, 1, (Axpy) MicroKernels::axpy6x1},
        };
        for (Object[] tile : tiles) {
            String name = (String) tile[0];
            int rows = (int) tile[1], width = (int) tile[2] * L;
            Axpy kernel = (Axpy) tile[3];
            for (int jc : new int[]{1, 3, 17}) {
                // A read with both orientations the products use: along rows (acs = 1) and down columns (ars = 1)
                for (boolean rowMajorA : new boolean[]{true, false}) {
                    int ars = rowMajorA ? jc + 3 : 1, acs = rowMajorA ? 1 : rows + 2;
                    int bs = width + 5, cs = width + 7;
                    float[] a = MatMulTest.random(rnd, 2 + rows * jc * (jc + rows + 5));
                    float[] b = MatMulTest.random(rnd, 1 + jc * bs), c = MatMulTest.random(rnd, 4 + rows * cs);
                    float[] before = c.clone();
                    kernel.run(a, 2, ars, acs, b, 1, bs, jc, c, 4, cs);
                    for (int r = 0; r < rows; r++)
                        for (int q = 0; q < width; q++) {
                            double ref = before[4 + r * cs + q], mag = Math.abs(ref);
                            for (int j = 0; j < jc; j++) {
                                double p = (double) a[2 + r * ars + j * acs] * b[1 + j * bs + q];
                                ref += p; mag += Math.abs(p);
                            }
                            assertThat((double) c[4 + r * cs + q]).as("%s jc=%d rowMajorA=%s at %d,%d", name, jc, rowMajorA, r, q)
                                    .isCloseTo(ref, offset(1e-5 * mag + 1e-6));
                        }
                    for (int i = 0; i < c.length; i++) {
                        boolean inTile = i >= 4 && (i - 4) / cs < rows && (i - 4) % cs < width;
                        if (!inTile) assertThat(c[i]).as("%s wrote outside the tile at %d", name, i).isEqualTo(before[i]);
                    }
                }
            }
        }
    }

    @Test
    void packedAxpyTilesAddPanelTimesStripIntoTheirTileOnly() {
        SplittableRandom rnd = new SplittableRandom(7);
        int L = MicroKernels.L, stride = MicroKernels.PANEL_VECTORS * L;
        // the 2×6 tile and the 2×4 and 2×2 tiles of a narrow last strip, all on strips of 6 vectors
        for (int jc : new int[]{1, 3, 17, 128})
            for (int vectors : new int[]{6, 4, 2}) {
                int width = vectors * L;
                int a0 = 5, cs = width + 3, c0 = 2;
                float[] ap = MatMulTest.random(rnd, a0 + 2 * jc + 3), b = MatMulTest.random(rnd, jc * stride + 1);
                float[] c = MatMulTest.random(rnd, c0 + 2 * cs + 1), before = c.clone();
                String name = "axpy2x" + vectors;
                switch (vectors) {
                    case 6 -> MicroKernels.axpy2x6(ap, a0, b, jc, c, c0, cs);
                    case 4 -> MicroKernels.axpy2x4(ap, a0, b, jc, c, c0, cs);
                    default -> MicroKernels.axpy2x2(ap, a0, b, jc, c, c0, cs);
                }
                for (int r = 0; r < 2; r++)
                    for (int q = 0; q < width; q++) {
                        double ref = before[c0 + r * cs + q], mag = Math.abs(ref);
                        for (int j = 0; j < jc; j++) {
                            double p = (double) ap[a0 + 2 * j + r] * b[j * stride + q];
                            ref += p; mag += Math.abs(p);
                        }
                        assertThat((double) c[c0 + r * cs + q]).as("%s jc=%d at %d,%d", name, jc, r, q)
                                .isCloseTo(ref, offset(1e-5 * mag + 1e-6));
                    }
                for (int i = 0; i < c.length; i++) {
                    boolean inTile = i >= c0 && (i - c0) / cs < 2 && (i - c0) % cs < width;
                    if (!inTile) assertThat(c[i]).as("%s wrote outside the tile at %d", name, i).isEqualTo(before[i]);
                }
            }
    }
}
