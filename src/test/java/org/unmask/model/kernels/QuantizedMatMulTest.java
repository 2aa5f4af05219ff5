package org.unmask.model.kernels;

import org.junit.jupiter.api.Test;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.QuantizedWeightsTest;
import org.unmask.model.tensor.Weights;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** The quantized forward product against a plain triple loop over the dequantized weights. */
class QuantizedMatMulTest {

    private static void check(Arena arena, DType type, int T, int K, int N, int rowOffset) {
        long wOffset = (long) rowOffset * K;
        Weights w = Weights.mapped(QuantizedWeightsTest.randomBlocks(arena, type, (int) ((wOffset + (long) N * K) / type.blockSize), T * 31L + K + N), type);
        SplittableRandom rnd = new SplittableRandom(T + 7L * N);
        float[] x = new float[T * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        float[] out = new float[T * N];
        MatMulTest.poisonScratch();   // the confined cases run on this thread: stale buffers must not leak
        MatMul.forward(out, 0, x, 0, w, wOffset, T, K, N);
        // the dequantized rows (toFloat is checked element by element against the block layout in QuantizedWeightsTest)
        float[] deq = new float[N * K];
        for (int n = 0; n < N; n++) w.toFloat(wOffset + (long) n * K, deq, n * K, K);
        for (int t = 0; t < T; t++)
            for (int n = 0; n < N; n++) {
                double ref = 0, mag = 0;
                for (int k = 0; k < K; k++) {
                    double p = (double) x[t * K + k] * deq[n * K + k];
                    ref += p;
                    mag += Math.abs(p);
                }
                assertThat((double) out[t * N + n]).as("%s T=%d K=%d N=%d out[%d,%d]", type, T, K, N, t, n)
                        .isCloseTo(ref, offset(1e-5 * mag + 1e-7));
            }
    }

    @Test
    void everyFormatAndShapeMatchesThePlainLoop() {
        int[][] shapes = {{1, 64, 7}, {2, 96, 5}, {3, 256, 9}, {4, 64, 4}, {5, 1280, 6}, {17, 32, 3}, {130, 64, 11}, {9, 2304, 13},
                // the weight-row tiles (a vector of token rows up to 512), a panel shorter than K, and past them
                {20, 1280, 13}, {33, 96, 7}, {24, 2304, 9}, {600, 64, 5},
                // several spans of packed token strips (MatMul.STRIP_SPAN_FLOATS), the last one short
                {20, 4608, 5}};
        try (Arena shared = Arena.ofShared(); Arena confined = Arena.ofConfined()) {
            for (DType type : DType.values()) {
                if (!type.blocked()) continue;
                for (int[] s : shapes) {
                    int K = type.blockSize == 256 ? Math.max(256, s[1] / 256 * 256) : s[1];
                    check(shared, type, s[0], K, s[2], 0);
                    check(shared, type, s[0], K, s[2], 3);   // rows further into the tensor (an expert's slice)
                }
                check(confined, type, 6, type.blockSize * 2, 5, 0);   // a confined segment: computed on the caller only
                check(confined, type, 20, type.blockSize * 8, 7, 0);
                check(shared, type, 1, type.blockSize * 4, 3000, 0);  // many rows: split across workers
                check(shared, type, 40, type.blockSize * 2, 2, 0);     // more tokens than rows: split the tokens
            }
        }
    }

    @Test
    void rowsThatSplitABlockAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            Weights w = Weights.mapped(QuantizedWeightsTest.randomBlocks(arena, DType.Q8_0, 4, 1), DType.Q8_0);
            assertThatThrownBy(() -> MatMul.forward(new float[8], 0, new float[16], 0, w, 0, 1, 16, 8))
                    .hasMessageContaining("blocks of 32");
        }
    }
}
