package org.unmask.model.moe;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.unmask.compute.Parallel;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The MoE layer against a dense reference in double precision: every expert runs on every token and the router's
 * choice masks and weights the results; the shared experts are added unweighted.
 */
class MoeFeedForwardTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** 130 = two 64-column units and a tail of 2; 8 experts so several tokens share one (tiled and row-dot paths). */
    private static final int D = 130, E = 8, WIDTH = 24, SHARED_WIDTH = 40;

    @AfterAll
    static void restoreThreads() { Parallel.setThreads(Runtime.getRuntime().availableProcessors()); }

    /** A layer's weights as float values (already representable in the storage dtype) and as {@link Weights}. */
    private record Layer(float[] router, float[][][] experts, float[][][] shared, MoeFeedForward moe) {}

    private static Layer layer(SplittableRandom rnd, Arena arena, DType dtype, Router router, int sharedCount) {
        float[] routerW = representable(random(rnd, E * D, 0.3), dtype);
        float[][][] ex = new float[E][][];
        List<ExpertWeights> experts = new ArrayList<>();
        for (int e = 0; e < E; e++) {
            ex[e] = expert(rnd, dtype, WIDTH);
            experts.add(weights(arena, dtype, ex[e], WIDTH));
        }
        float[][][] sh = new float[sharedCount][][];
        List<ExpertWeights> shared = new ArrayList<>();
        for (int s = 0; s < sharedCount; s++) {
            sh[s] = expert(rnd, dtype, SHARED_WIDTH);
            shared.add(weights(arena, dtype, sh[s], SHARED_WIDTH));
        }
        return new Layer(routerW, ex, sh, new MoeFeedForward(store(arena, routerW, dtype), router, experts, shared));
    }

    private static float[][] expert(SplittableRandom rnd, DType dtype, int width) {
        double scale = 1 / Math.sqrt(D);
        return new float[][]{representable(random(rnd, width * D, scale), dtype),
                representable(random(rnd, width * D, scale), dtype),
                representable(random(rnd, D * width, 1 / Math.sqrt(width)), dtype)};
    }

    private static ExpertWeights weights(Arena arena, DType dtype, float[][] w, int width) {
        return new ExpertWeights(store(arena, w[0], dtype), store(arena, w[1], dtype), store(arena, w[2], dtype), D, width);
    }

    private static SigmoidRouter sigmoidRouter(float[] bias) {
        return new SigmoidRouter(new SigmoidRouterConfig(E, 3, 4, 2, true, 2.5f), bias);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void matchesDenseMaskedReferenceForEveryWeightFormat(DType dtype) {
        SplittableRandom rnd = new SplittableRandom(dtype.ordinal() + 1);
        float[] bias = random(rnd, E, 0.1);
        try (Arena arena = Arena.ofShared()) {
            Layer l = layer(rnd, arena, dtype, sigmoidRouter(bias), 1);
            for (int T : new int[]{1, 7, 70}) {
                float[] x = random(rnd, T * D, 1);
                float[] out = new float[T * D];
                l.moe().forward(out, x, T);
                double[][] logits = logits(l, x, T);
                double[] ref = new double[T * D];
                for (int t = 0; t < T; t++) {
                    RouterReference.Choice c = RouterReference.sigmoid(logits[t], SigmoidRouterTest.toDouble(bias),
                            ((SigmoidRouter) l.moe().router()).config());
                    denseMasked(l, x, t, c, ref);
                }
                assertClose(out, ref, dtype + " T=" + T);
            }
        }
    }

    @Test
    void softmaxRoutedLayerWithTwoSharedExpertsAndNone() {
        SplittableRandom rnd = new SplittableRandom(5);
        SoftmaxRouter router = new SoftmaxRouter(new SoftmaxRouterConfig(E, 2, false), null);
        try (Arena arena = Arena.ofShared()) {
            for (int sharedCount : new int[]{0, 2}) {
                Layer l = layer(rnd, arena, DType.BF16, router, sharedCount);
                int T = 9;
                float[] x = random(rnd, T * D, 1);
                float[] out = new float[T * D];
                l.moe().forward(out, x, T);
                double[][] logits = logits(l, x, T);
                double[] ref = new double[T * D];
                for (int t = 0; t < T; t++) denseMasked(l, x, t, RouterReference.softmax(logits[t], null, router.config()), ref);
                assertClose(out, ref, "softmax, shared=" + sharedCount);
            }
        }
    }

    @Test
    void resultIsTheSameBitsForAnyThreadCountInPlaceOrNot() {
        SplittableRandom rnd = new SplittableRandom(9);
        int before = Parallel.threads();
        try (Arena arena = Arena.ofShared()) {
            Layer l = layer(rnd, arena, DType.BF16, sigmoidRouter(null), 1);
            int T = 33;
            float[] x = random(rnd, T * D, 1);
            float[] one = new float[T * D], two = new float[T * D];
            Parallel.setThreads(1);
            l.moe().forward(one, x, T);
            Parallel.setThreads(2);
            l.moe().forward(two, x, T);
            assertThat(two).containsExactly(one);
            float[] inPlace = x.clone();
            l.moe().forward(inPlace, inPlace, T);
            assertThat(inPlace).containsExactly(one);
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void weightsConfinedToTheCallingThreadRunWithoutTheWorkers() {
        SplittableRandom rnd = new SplittableRandom(13);
        float[] x = random(rnd, 5 * D, 1);
        float[] shared, confined;
        try (Arena arena = Arena.ofShared()) {
            Layer l = layer(new SplittableRandom(1), arena, DType.BF16, sigmoidRouter(null), 1);
            shared = new float[5 * D];
            l.moe().forward(shared, x, 5);
        }
        try (Arena arena = Arena.ofConfined()) {
            Layer l = layer(new SplittableRandom(1), arena, DType.BF16, sigmoidRouter(null), 1);
            confined = new float[5 * D];
            l.moe().forward(confined, x, 5);
        }
        assertThat(confined).containsExactly(shared);
    }

    @Test
    void anExplicitRoutingRunsExactlyThoseExperts() {
        SplittableRandom rnd = new SplittableRandom(17);
        try (Arena arena = Arena.ofShared()) {
            Layer l = layer(rnd, arena, DType.F32, sigmoidRouter(null), 0);
            float[] x = random(rnd, 2 * D, 1);
            // token 0 → expert 5 alone (weight 1, other slots weight 0 on experts 0 and 1); token 1 → half of 2 and 3
            Routing r = new Routing(2, 3, new int[]{5, 0, 1, 2, 3, 4}, new float[]{1, 0, 0, 0.5f, 0.5f, 0});
            float[] out = new float[2 * D];
            l.moe().forward(out, x, 2, r);
            double[] ref = new double[2 * D];
            double[] y5 = expertOut(l.experts()[5], x, 0, WIDTH);
            double[] y2 = expertOut(l.experts()[2], x, 1, WIDTH), y3 = expertOut(l.experts()[3], x, 1, WIDTH);
            for (int d = 0; d < D; d++) {
                ref[d] = y5[d];
                ref[D + d] = 0.5 * y2[d] + 0.5 * y3[d];
            }
            assertClose(out, ref, "explicit routing");
            assertThatThrownBy(() -> l.moe().forward(out, x, 2, new Routing(2, 1, new int[]{0, 8}, new float[2])))
                    .hasMessageContaining("expert 8 of 8");
            assertThatThrownBy(() -> l.moe().forward(out, x, 1, r)).hasMessageContaining("routing is for 2 tokens");
        }
    }

    @Test
    void zeroTokensIsANoOp() {
        try (Arena arena = Arena.ofShared()) {
            Layer l = layer(new SplittableRandom(2), arena, DType.F32, sigmoidRouter(null), 1);
            l.moe().forward(new float[0], new float[0], 0);
        }
    }

    @Test
    void rejectsMismatchedShapesNamingTheTensor() {
        Weights w = new Weights.F32(new float[WIDTH * D], 0, WIDTH * D);
        Weights wrong = new Weights.F32(new float[WIDTH * D - 1], 0, WIDTH * D - 1);
        assertThatThrownBy(() -> new ExpertWeights(w, w, wrong, D, WIDTH))
                .hasMessageContaining("down_proj").hasMessageContaining("[" + D + ", " + WIDTH + "]");
        assertThatThrownBy(() -> ExpertWeights.fromTensors(Map.of("m.gate_proj.weight", w, "m.up_proj.weight", w), "m.", D, WIDTH))
                .hasMessageContaining("missing tensor m.down_proj.weight");
        ExpertWeights ok = new ExpertWeights(w, w, w, D, WIDTH);
        List<ExpertWeights> eight = java.util.Collections.nCopies(E, ok);
        Weights routerW = new Weights.F32(new float[E * D], 0, E * D);
        assertThatThrownBy(() -> new MoeFeedForward(routerW, sigmoidRouter(null), eight.subList(0, 7), List.of()))
                .hasMessageContaining("among 8 experts but 7");
        assertThatThrownBy(() -> new MoeFeedForward(wrong, sigmoidRouter(null), eight, List.of()))
                .hasMessageContaining("mlp.gate.weight").hasMessageContaining("[8, " + D + "]");
        MoeFeedForward moe = new MoeFeedForward(routerW, sigmoidRouter(null), eight, List.of(ok));
        assertThatThrownBy(() -> moe.forward(new float[D], new float[D], 2)).hasMessageContaining("x needs 2 × " + D);
    }

    // ---- reference ----

    private static double[][] logits(Layer l, float[] x, int T) {
        double[][] z = new double[T][E];
        for (int t = 0; t < T; t++)
            for (int e = 0; e < E; e++) {
                double s = 0;
                for (int d = 0; d < D; d++) s += (double) x[t * D + d] * l.router()[e * D + d];
                z[t][e] = s;
            }
        return z;
    }

    /** Adds token t's output to ref: every expert computed, those not chosen multiplied by 0, plus the shared ones. */
    private static void denseMasked(Layer l, float[] x, int t, RouterReference.Choice c, double[] ref) {
        for (int e = 0; e < E; e++) {
            double mask = 0;
            for (int j = 0; j < c.experts().length; j++) if (c.experts()[j] == e) mask = c.weights()[j];
            double[] y = expertOut(l.experts()[e], x, t, WIDTH);
            for (int d = 0; d < D; d++) ref[t * D + d] += mask * y[d];
        }
        for (float[][] s : l.shared()) {
            double[] y = expertOut(s, x, t, SHARED_WIDTH);
            for (int d = 0; d < D; d++) ref[t * D + d] += y[d];
        }
    }

    /** {@code down · (silu(gate·x) ⊙ up·x)} for token t, in double. */
    private static double[] expertOut(float[][] w, float[] x, int t, int width) {
        double[] h = new double[width];
        for (int i = 0; i < width; i++) {
            double g = 0, u = 0;
            for (int d = 0; d < D; d++) {
                g += (double) w[0][i * D + d] * x[t * D + d];
                u += (double) w[1][i * D + d] * x[t * D + d];
            }
            h[i] = g / (1 + Math.exp(-g)) * u;
        }
        double[] y = new double[D];
        for (int d = 0; d < D; d++)
            for (int i = 0; i < width; i++) y[d] += (double) w[2][d * width + i] * h[i];
        return y;
    }

    private static void assertClose(float[] out, double[] ref, String what) {
        double scale = 0;
        for (double r : ref) scale = Math.max(scale, Math.abs(r));
        assertThat(scale).as(what + ": reference is not trivially zero").isGreaterThan(1e-3);
        for (int i = 0; i < ref.length; i++)
            assertThat(Math.abs(out[i] - ref[i])).as("%s element %d: %s vs %s", what, i, out[i], ref[i])
                    .isLessThan(2e-5 * scale);
    }

    // ---- data ----

    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }

    /** Values rounded to what {@code dtype} can hold, so the reference sees exactly the stored weights. */
    private static float[] representable(float[] v, DType dtype) {
        float[] r = v.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] = switch (dtype) {
                case BF16 -> Float.intBitsToFloat((Float.floatToRawIntBits(v[i]) + 0x8000) & 0xFFFF0000);
                case F16 -> Float.float16ToFloat(Float.floatToFloat16(v[i]));
                default -> v[i];
            };
        }
        return r;
    }

    /** F32 on the heap; BF16 and F16 in an off-heap segment, as a mapped checkpoint holds them. */
    private static Weights store(Arena arena, float[] v, DType dtype) {
        if (dtype == DType.F32) return new Weights.F32(v, 0, v.length);
        MemorySegment seg = arena.allocate(2L * v.length, 64);
        for (int i = 0; i < v.length; i++)
            seg.setAtIndex(I16, i, dtype == DType.BF16 ? (short) (Float.floatToRawIntBits(v[i]) >>> 16) : Float.floatToFloat16(v[i]));
        return Weights.mapped(seg, dtype);
    }
}
