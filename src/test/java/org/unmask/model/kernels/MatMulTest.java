package org.unmask.model.kernels;

import org.unmask.compute.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The three products against plain double-precision loops, over shapes that hit every tile edge, with the tiles
 * of both register-file sizes (AVX-512 and AVX2) whatever this CPU has.
 */
class MatMulTest {

    /** Sizes around the 4-row tiles, the vector width (8 or 16) and the 3-vector axpy strips. */
    private static final int[] SIZES = {1, 3, 7, 17, 33, 65, 129};
    private static final int[][] SHAPES = {   // T, K, N
            {1, 1, 1}, {1, 17, 7}, {1, 129, 33}, {2, 33, 5}, {3, 65, 17}, {4, 16, 4}, {5, 7, 3}, {7, 33, 65},
            {17, 129, 7}, {33, 17, 129}, {65, 3, 33}, {129, 65, 17}, {8, 48, 48}, {12, 1030, 9}, {130, 40, 6},
            // weight-row forward: several K blocks, 2.5 vectors of tokens, and more weight rows than one row block
            // (MatMul.rowBlock: 384 rows for 256 tokens, 192 for 512)
            {64, 300, 200}, {40, 130, 197}, {16, 7, 13}, {MatMul.MAX_WEIGHT_ROW_TOKENS_F32, 9, 400},
            {MatMul.MAX_WEIGHT_ROW_TOKENS, 5, 400},
            // heap float32 on either side of the few-rows bound (MatMul.FEW_WEIGHT_ROWS)
            {MatMul.MAX_WEIGHT_ROW_TOKENS_FEW_ROWS, 11, 40}, {MatMul.MAX_WEIGHT_ROW_TOKENS_FEW_ROWS + 1, 11, 40},
            {MatMul.MAX_WEIGHT_ROW_TOKENS_F32, 9, MatMul.FEW_WEIGHT_ROWS + 7},
            // weight-row forward over several spans of packed strips (MatMul.STRIP_SPAN_FLOATS), the last one short
            {40, 3000, 13}, {16, 4500, 7},
            // transposed weight strips (more token rows than the weight-row forward takes: heap f32, then all formats)
            {MatMul.MAX_WEIGHT_ROW_TOKENS_F32 + 3, 9, 20}, {MatMul.MAX_WEIGHT_ROW_TOKENS + 9, 17, 33},
            // packed axpy panels (more than two strips) with a last strip of 4-5 or 2-3 vectors (+ a masked one) at
            // either vector width, over several blocks of the summed index; and products one or two strips wide
            {MatMul.MAX_WEIGHT_ROW_TOKENS_F32 + 44, 260, 112}, {MatMul.MAX_WEIGHT_ROW_TOKENS_F32 + 7, 232, 232},
    };

    @AfterAll
    static void restoreThreads() { Parallel.setThreads(Runtime.getRuntime().availableProcessors()); }

    @ParameterizedTest
    @CsvSource({"1, WIDE", "2, WIDE", "1, NARROW", "2, NARROW"})
    void forwardMatchesReferenceForEveryWeightFormat(int threads, Tiles tiles) {
        Parallel.setThreads(threads);
        SplittableRandom rnd = new SplittableRandom(threads + 4L * tiles.ordinal());
        try (Arena arena = threads == 1 ? Arena.ofConfined() : Arena.ofShared()) {
            for (int[] s : allShapes(rnd)) {
                int T = s[0], K = s[1], N = s[2];
                for (DType dtype : new DType[]{DType.F32, DType.BF16, DType.F16}) {
                    for (boolean mapped : new boolean[]{false, true}) {
                        if (!mapped && dtype != DType.F32) continue;
                        int wPad = 5, xOff = 3, outOff = 11;
                        // round through the storage format first so the reference sees the same weights
                        float[] wv = representable(random(rnd, wPad + N * K), dtype);
                        Weights w = mapped ? store(arena, wv, dtype) : new Weights.F32(wv, 2, wv.length - 2);
                        long wOff = mapped ? wPad : wPad - 2;
                        float[] x = random(rnd, xOff + T * K);
                        float[] out = random(rnd, outOff + T * N + 4);
                        float[] before = out.clone();
                        poisonScratch();
                        MatMul.forward(out, outOff, x, xOff, w, wOff, T, K, N, tiles);
                        String what = "forward " + tiles + " " + dtype + (mapped ? " mapped" : " heap") + " T=" + T + " K=" + K + " N=" + N;
                        for (int t = 0; t < T; t++)
                            for (int n = 0; n < N; n++) {
                                double ref = 0, mag = 0;
                                for (int k = 0; k < K; k++) {
                                    double p = (double) x[xOff + t * K + k] * wv[wPad + n * K + k];
                                    ref += p; mag += Math.abs(p);
                                }
                                assertClose(out[outOff + t * N + n], ref, mag, what + " at " + t + "," + n);
                            }
                        assertUntouchedOutside(out, before, outOff, T * N, what);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1, WIDE", "2, WIDE", "1, NARROW", "2, NARROW"})
    void backwardInputAddsDyTimesW(int threads, Tiles tiles) {
        Parallel.setThreads(threads);
        SplittableRandom rnd = new SplittableRandom(10 + threads + 4L * tiles.ordinal());
        for (int[] s : allShapes(rnd)) {
            int T = s[0], K = s[1], N = s[2];
            int dxOff = 2, dyOff = 5, wOff = 7;
            float[] dx = random(rnd, dxOff + T * K + 3), dy = random(rnd, dyOff + T * N), w = random(rnd, wOff + N * K);
            float[] before = dx.clone();
            poisonScratch();
            MatMul.backwardInput(dx, dxOff, dy, dyOff, w, wOff, T, N, K, tiles);
            String what = "backwardInput " + tiles + " T=" + T + " K=" + K + " N=" + N;
            for (int t = 0; t < T; t++)
                for (int k = 0; k < K; k++) {
                    double ref = before[dxOff + t * K + k], mag = Math.abs(ref);
                    for (int n = 0; n < N; n++) {
                        double p = (double) dy[dyOff + t * N + n] * w[wOff + n * K + k];
                        ref += p; mag += Math.abs(p);
                    }
                    assertClose(dx[dxOff + t * K + k], ref, mag, what + " at " + t + "," + k);
                }
            assertUntouchedOutside(dx, before, dxOff, T * K, what);
        }
    }

    @ParameterizedTest
    @CsvSource({"1, WIDE", "2, WIDE", "1, NARROW", "2, NARROW"})
    void backwardWeightAddsDyTransposedTimesX(int threads, Tiles tiles) {
        Parallel.setThreads(threads);
        SplittableRandom rnd = new SplittableRandom(20 + threads + 4L * tiles.ordinal());
        for (int[] s : allShapes(rnd)) {
            int T = s[0], K = s[1], N = s[2];
            int dwOff = 9, dyOff = 1, xOff = 4;
            float[] dw = random(rnd, dwOff + N * K + 2), dy = random(rnd, dyOff + T * N), x = random(rnd, xOff + T * K);
            float[] before = dw.clone();
            poisonScratch();
            MatMul.backwardWeight(dw, dwOff, dy, dyOff, x, xOff, T, N, K, tiles);
            String what = "backwardWeight " + tiles + " T=" + T + " K=" + K + " N=" + N;
            for (int n = 0; n < N; n++)
                for (int k = 0; k < K; k++) {
                    double ref = before[dwOff + n * K + k], mag = Math.abs(ref);
                    for (int t = 0; t < T; t++) {
                        double p = (double) dy[dyOff + t * N + n] * x[xOff + t * K + k];
                        ref += p; mag += Math.abs(p);
                    }
                    assertClose(dw[dwOff + n * K + k], ref, mag, what + " at " + n + "," + k);
                }
            assertUntouchedOutside(dw, before, dwOff, N * K, what);
        }
    }

    @Test
    void longRowsCrossTheForwardKBlock() {
        // K above the cache block exercises the path that adds later K blocks onto the first block's sums
        Parallel.setThreads(2);
        SplittableRandom rnd = new SplittableRandom(3);
        int T = 6, K = MatMul.FORWARD_KC * 2 + 37, N = 9;
        float[] x = random(rnd, T * K), w = random(rnd, N * K), out = new float[T * N];
        MatMul.forward(out, 0, x, 0, new Weights.F32(w, 0, w.length), 0, T, K, N);
        for (int t = 0; t < T; t++)
            for (int n = 0; n < N; n++) {
                double ref = 0, mag = 0;
                for (int k = 0; k < K; k++) { double p = (double) x[t * K + k] * w[n * K + k]; ref += p; mag += Math.abs(p); }
                assertClose(out[t * N + n], ref, mag, "forward long K at " + t + "," + n);
            }
    }

    @Test
    void confinedSegmentStillWorksWithTwoThreads() {
        // a segment confined to the caller cannot be read by pool workers: the product must fall back to the caller
        Parallel.setThreads(2);
        SplittableRandom rnd = new SplittableRandom(4);
        int T = 64, K = 64, N = 256;
        try (Arena arena = Arena.ofConfined(); Arena shared = Arena.ofShared()) {
            float[] wv = representable(random(rnd, N * K), DType.BF16);
            Weights w = store(arena, wv, DType.BF16);
            float[] x = random(rnd, T * K), out = new float[T * N], ref = new float[T * N];
            MatMul.forward(out, 0, x, 0, w, 0, T, K, N);
            // the same weights in a segment the workers can read: the same tiles, so the same bits
            MatMul.forward(ref, 0, x, 0, store(shared, wv, DType.BF16), 0, T, K, N);
            assertThat(out).containsExactly(ref);
        }
    }

    @Test
    void outOfRangeOperandsAreNamed() {
        float[] x = new float[6], out = new float[4];
        Weights w = new Weights.F32(new float[6], 0, 6);
        assertThatThrownBy(() -> MatMul.forward(out, 0, x, 0, w, 0, 2, 3, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out");
        assertThatThrownBy(() -> MatMul.forward(new float[9], 0, x, 0, w, 1, 2, 3, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight rows");
        assertThatThrownBy(() -> MatMul.backwardInput(new float[6], 0, new float[5], 0, new float[6], 0, 2, 3, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dy");
        assertThatThrownBy(() -> MatMul.backwardWeight(new float[5], 0, new float[6], 0, new float[6], 0, 2, 3, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dW");
    }

    @Test
    void emptySumWritesZeros() {
        float[] out = {5, 5, 5, 5};
        MatMul.forward(out, 0, new float[0], 0, new Weights.F32(new float[0], 0, 0), 0, 2, 0, 2);
        assertThat(out).containsOnly(0f);
    }

    /**
     * Fills this thread's reusable kernel buffers with NaN, large enough that every product of these tests reuses
     * them, so that a tile reading a lane it did not write shows up as a NaN result (with one thread, the caller's
     * buffers are the only ones used; with two, the workers' hold whatever the previous shapes left).
     */
    static void poisonScratch() {
        for (KernelScratch.Slot slot : KernelScratch.Slot.values())
            java.util.Arrays.fill(KernelScratch.get(slot, 1 << 18), Float.NaN);
    }

    /** The fixed shapes plus random combinations of the odd sizes. */
    private static int[][] allShapes(SplittableRandom rnd) {
        int extra = 12;
        int[][] all = new int[SHAPES.length + extra][];
        System.arraycopy(SHAPES, 0, all, 0, SHAPES.length);
        for (int i = 0; i < extra; i++)
            all[SHAPES.length + i] = new int[]{SIZES[rnd.nextInt(SIZES.length)], SIZES[rnd.nextInt(SIZES.length)], SIZES[rnd.nextInt(SIZES.length)]};
        return all;
    }

    /** float32 rounding of a sum of |terms| = mag bounds the error of any summation order by about K·ε·mag. */
    private static void assertClose(float actual, double expected, double magnitude, String what) {
        double tol = 1e-5 * magnitude + 1e-6;
        assertThat((double) actual).as(what).isCloseTo(expected, org.assertj.core.data.Offset.offset(tol));
    }

    private static void assertUntouchedOutside(float[] a, float[] before, int off, int len, String what) {
        for (int i = 0; i < a.length; i++)
            if (i < off || i >= off + len) assertThat(a[i]).as(what + ": element " + i + " outside the result").isEqualTo(before[i]);
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** The values as the format stores them (bfloat16 truncation, half rounding), widened back to float. */
    static float[] representable(float[] v, DType dtype) {
        float[] r = v.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] = switch (dtype) {
                case F32 -> r[i];
                case BF16 -> Float.intBitsToFloat(Float.floatToRawIntBits(r[i]) & 0xFFFF0000);
                case F16 -> Float.float16ToFloat(Float.floatToFloat16(r[i]));
                default -> throw new IllegalArgumentException(dtype.name());
            };
        }
        return r;
    }

    /** The values in a little-endian segment of {@code dtype}, as a safetensors file would hold them. */
    static Weights store(Arena arena, float[] v, DType dtype) {
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        MemorySegment seg = arena.allocate((long) v.length * dtype.bytes, 1);
        for (int i = 0; i < v.length; i++) {
            switch (dtype) {
                case F32 -> seg.setAtIndex(f32, i, v[i]);
                case BF16 -> seg.setAtIndex(i16, i, (short) (Float.floatToRawIntBits(v[i]) >>> 16));
                case F16 -> seg.setAtIndex(i16, i, Float.floatToFloat16(v[i]));
                default -> throw new IllegalArgumentException(dtype.name());
            }
        }
        return switch (dtype) {
            case F32 -> new Weights.MappedF32(seg);
            case BF16 -> new Weights.MappedBf16(seg);
            default -> new Weights.MappedF16(seg);
        };
    }
}
