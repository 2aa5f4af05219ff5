package org.unmask.model;

import org.unmask.model.kernels.AttentionPattern;
import org.junit.jupiter.api.Test;
import org.unmask.compute.Parallel;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class LladaModelTest {

    /** d=16, 2 layers, 4 heads over 2 key/value heads, vocabulary 11 (embedding 13), mask id 10. */
    static ModelConfig tiny(boolean tied) {
        return new ModelConfig(16, 2, 4, 2, 24, 11, 13, 64, 10000.0, 1e-5, tied, 10, 0, 0, 1);
    }

    /** A random model with larger weights than the N(0, 0.02) init, so that gradients are well above float noise. */
    static Transformer spread(ModelConfig c, long seed) {
        Transformer m = Transformer.randomInit(c, seed);
        Random rnd = new Random(seed + 1);
        float[] v = m.parameters().values();
        for (Parameters.Parameter p : m.parameters().list()) {
            for (int i = p.offset(); i < p.offset() + p.size(); i++) {
                v[i] = p.rank() == 1 ? (float) (1 + 0.3 * rnd.nextGaussian()) : (float) (0.35 * rnd.nextGaussian());
            }
        }
        return m;
    }

    static int[] randomIds(Random rnd, int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rnd.nextInt(vocab);
        return ids;
    }

    @Test
    void gradientsOfEveryTensorMatchFiniteDifferences() {
        for (boolean tied : new boolean[]{false, true}) {
            for (AttentionPattern mask : new AttentionPattern[]{AttentionPattern.BIDIRECTIONAL, AttentionPattern.blockCausal(3),
                    AttentionPattern.noisyClean(3)}) {
                checkModelGradients(tiny(tied), mask);
            }
        }
    }

    /** Dream's layout (Qwen2's q/k/v biases, an untied head) trains too: every tensor, the biases included. */
    @Test
    void gradientsOfDreamsLayoutWithQkvBiasesMatchFiniteDifferences() {
        ModelConfig dream = new ModelConfig(DreamFamily.INSTANCE, 16, 2, 4, 2, 4, 24, 11, 13, 64, 10000.0, 4, 1e-5,
                true, false, false, true, 10, 0, 0, 1);
        Transformer m = spread(dream, 5);
        assertThat(m.parameters().get("model.layers.1.self_attn.k_proj.bias")).isNotNull();
        for (AttentionPattern mask : new AttentionPattern[]{AttentionPattern.BIDIRECTIONAL, AttentionPattern.CAUSAL})
            checkModelGradients(dream, mask);
    }

    private static void checkModelGradients(ModelConfig c, AttentionPattern mask) {
        boolean tied = c.weightTying();
        Transformer m = spread(c, 7);
        Random rnd = new Random(8);
        int B = 2, T = mask.kind() == AttentionPattern.Kind.NOISY_CLEAN ? 8 : 7;   // two copies of 4 (RoPE positions 0..3)
        int[] ids = randomIds(rnd, B * T, 11);
        boolean[] attend = new boolean[B * T];
        Arrays.fill(attend, true);
        attend[T] = false;                                 // a left pad in the second row
        int[] rows = {1, 3, 4, 6, 8, 12, 3};               // a repeated row adds up
        int[] targets = {2, 5, 9, 0, 12, 1, 4};
        float[] weights = {1f, 0.5f, 2f, 1f, 1f, 0.25f, 1f};
        Parameters p = m.parameters();
        p.zeroGrads();
        double loss = m.forwardBackward(ids, B, T, attend, mask, rows, targets, weights);
        // the training pass runs its shards (TRAINING_SHARDS) as smaller products, whose tiles sum in another order
        double plain = m.loss(ids, B, T, attend, mask, rows, targets, weights);
        assertThat(loss).isCloseTo(plain, offset(1e-6 * Math.abs(plain)));
        float[] grad = p.grads().clone();
        for (Parameters.Parameter t : p.list()) {
            GradCheck.check((tied ? "tied " : "") + mask.kind() + " " + t.name(), p.values(), grad, t.offset(),
                    t.offset() + t.size(), 6, 1e-2f, 3e-3, 3e-2, rnd,
                    unused -> m.loss(ids, B, T, attend, mask, rows, targets, weights));
        }
    }

    @Test
    void gradientsAccumulateAcrossCalls() {
        Transformer m = spread(tiny(false), 3);
        int[] ids = randomIds(new Random(1), 8, 11);
        int[] rows = {0, 5}, targets = {3, 4};
        m.parameters().zeroGrads();
        m.forwardBackward(ids, 1, 8, null, null, rows, targets, null);
        float[] once = m.parameters().grads().clone();
        m.forwardBackward(ids, 1, 8, null, null, rows, targets, null);
        float[] twice = m.parameters().grads();
        for (int i = 0; i < once.length; i += 7) assertThat(twice[i]).isCloseTo(2 * once[i], offset(1e-5f + 1e-5f * Math.abs(once[i])));
    }

    @Test
    void aTrainingPassEqualsTheSumOfItsSequencesPassedAlone() {
        // the shards of a batch (Transformer.TRAINING_SHARDS) against each sequence on its own, including a batch whose
        // loss rows all lie in the first shard, so that the second passes nothing back
        Transformer m = spread(tiny(false), 5);
        Parameters p = m.parameters();
        int B = 3, T = 6;
        int[] ids = randomIds(new Random(9), B * T, 11);
        for (int[] rows : new int[][]{{0, 7, 13, 17, 2}, {1, 4, 5}}) {
            int[] targets = new int[rows.length];
            float[] weights = new float[rows.length];
            for (int i = 0; i < rows.length; i++) { targets[i] = (3 * i + 1) % 11; weights[i] = 0.5f + i; }
            p.zeroGrads();
            double loss = m.forwardBackward(ids, B, T, null, null, rows, targets, weights);
            float[] together = p.grads().clone();
            p.zeroGrads();
            double alone = 0;
            for (int b = 0; b < B; b++) {
                int count = 0;
                for (int r : rows) if (r / T == b) count++;
                int[] br = new int[count], bt = new int[count];
                float[] bw = new float[count];
                for (int i = 0, j = 0; i < rows.length; i++)
                    if (rows[i] / T == b) { br[j] = rows[i] % T; bt[j] = targets[i]; bw[j++] = weights[i]; }
                alone += m.forwardBackward(Arrays.copyOfRange(ids, b * T, (b + 1) * T), 1, T, null, null, br, bt, bw);
            }
            assertThat(loss).isCloseTo(alone, offset(1e-9 * Math.abs(alone)));
            for (int i = 0; i < together.length; i++)
                assertThat(together[i]).as("gradient %d, rows %s", i, Arrays.toString(rows))
                        .isCloseTo(p.grads()[i], offset(1e-6f + 1e-5f * Math.abs(p.grads()[i])));
        }
    }

    @Test
    void moreLossRowsThanPositionsAddUp() {
        Transformer m = spread(tiny(false), 4);
        int[] ids = randomIds(new Random(2), 3, 11);
        Parameters p = m.parameters();
        p.zeroGrads();
        double once = m.forwardBackward(ids, 1, 3, null, null, new int[]{0, 2, 1}, new int[]{5, 6, 7}, null);
        float[] g1 = p.grads().clone();
        p.zeroGrads();
        double twice = m.forwardBackward(ids, 1, 3, null, null, new int[]{0, 2, 1, 1, 0, 2}, new int[]{5, 6, 7, 7, 5, 6}, null);
        assertThat(twice).isCloseTo(2 * once, offset(1e-5));
        for (int i = 0; i < g1.length; i++) assertThat(p.grads()[i]).isCloseTo(2 * g1[i], offset(1e-5f + 1e-5f * Math.abs(g1[i])));
    }

    @Test
    void bidirectionalSeesTheFutureAndCausalDoesNot() {
        Transformer m = spread(tiny(false), 11);
        int T = 9;
        int[] ids = randomIds(new Random(2), T, 11);
        int[] changed = ids.clone();
        changed[6] = (ids[6] + 3) % 11;
        float[] a = m.logits(ids, 1, T, null, null), b = m.logits(changed, 1, T, null, null);
        int e = m.config().embeddingSize();
        for (int i = 0; i < 6; i++) {
            assertThat(Arrays.copyOfRange(b, i * e, (i + 1) * e)).as("bidirectional position %d", i)
                    .isNotEqualTo(Arrays.copyOfRange(a, i * e, (i + 1) * e));
        }
        float[] ca = m.logits(ids, 1, T, null, null, AttentionPattern.CAUSAL), cb = m.logits(changed, 1, T, null, null, AttentionPattern.CAUSAL);
        assertThat(Arrays.copyOfRange(cb, 0, 6 * e)).containsExactly(Arrays.copyOfRange(ca, 0, 6 * e));
        assertThat(Arrays.copyOfRange(cb, 6 * e, 7 * e)).isNotEqualTo(Arrays.copyOfRange(ca, 6 * e, 7 * e));
    }

    @Test
    void blockCausalSeesItsOwnBlockButNotLaterOnes() {
        Transformer m = spread(tiny(false), 12);
        int T = 12, e = m.config().embeddingSize();
        AttentionPattern mask = AttentionPattern.blockCausal(4);
        int[] ids = randomIds(new Random(3), T, 11);
        int[] changed = ids.clone();
        changed[6] = (ids[6] + 1) % 11;                    // in block 1 (positions 4..7)
        float[] a = m.logits(ids, 1, T, null, null, mask), b = m.logits(changed, 1, T, null, null, mask);
        assertThat(Arrays.copyOfRange(b, 0, 4 * e)).containsExactly(Arrays.copyOfRange(a, 0, 4 * e));
        for (int i = 4; i < T; i++) {
            assertThat(Arrays.copyOfRange(b, i * e, (i + 1) * e)).as("position %d", i).isNotEqualTo(Arrays.copyOfRange(a, i * e, (i + 1) * e));
        }
    }

    @Test
    void paddingTokensDoNotReachOtherPositions() {
        Transformer m = spread(tiny(false), 13);
        int B = 2, T = 8, e = m.config().embeddingSize();
        int[] ids = randomIds(new Random(4), B * T, 11);
        boolean[] attend = new boolean[B * T];
        Arrays.fill(attend, true);
        attend[8] = attend[9] = false;                     // two left pads in row 1
        attend[5] = false;                                 // a pad in the middle of row 0
        int[] changed = ids.clone();
        changed[8] = (ids[8] + 1) % 11; changed[9] = (ids[9] + 2) % 11; changed[5] = (ids[5] + 5) % 11;
        float[] a = m.logits(ids, B, T, attend, null), b = m.logits(changed, B, T, attend, null);
        for (int i = 0; i < B * T; i++) {
            if (!attend[i]) continue;
            assertThat(Arrays.copyOfRange(b, i * e, (i + 1) * e)).as("position %d", i).containsExactly(Arrays.copyOfRange(a, i * e, (i + 1) * e));
        }
    }

    @Test
    void selectedRowsEqualTheFullLogits() {
        Transformer m = spread(tiny(true), 14);
        int B = 2, T = 5, e = m.config().embeddingSize();
        int[] ids = randomIds(new Random(5), B * T, 11);
        float[] all = m.logits(ids, B, T, null, null);
        assertThat(all).hasSize(B * T * e);
        int[] rows = {7, 2, 2};
        float[] some = m.logits(ids, B, T, null, rows);
        assertThat(some).hasSize(3 * e);
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < e; j++) assertThat(some[i * e + j]).isCloseTo(all[rows[i] * e + j], offset(1e-5f));
        }
    }

    @Test
    void sameSeedAndInputsGiveBitIdenticalResultsForAnyThreadCount() {
        ModelConfig c = new ModelConfig(32, 2, 4, 2, 40, 50, 50, 64, 10000.0, 1e-5, false, 2, 0, 0, 1);
        int B = 2, T = 24;
        int[] ids = randomIds(new Random(6), B * T, 50);
        int[] rows = {0, 3, 9, 30, 47}, targets = {4, 8, 15, 16, 23};
        float[][] grads = new float[3][];
        double[] losses = new double[3];
        int before = Parallel.threads();
        try {
            for (int run = 0; run < 3; run++) {
                Parallel.setThreads(run == 2 ? 1 : 2);
                Transformer m = Transformer.randomInit(c, 42);
                losses[run] = m.forwardBackward(ids, B, T, null, null, rows, targets, null);
                grads[run] = m.parameters().grads();
            }
        } finally {
            Parallel.setThreads(before);
        }
        assertThat(losses[1]).isEqualTo(losses[0]);
        assertThat(losses[2]).isEqualTo(losses[0]);
        assertThat(grads[1]).containsExactly(grads[0]);
        assertThat(grads[2]).containsExactly(grads[0]);
        assertThat(Transformer.randomInit(c, 42).parameters().values()).containsExactly(Transformer.randomInit(c, 42).parameters().values());
        assertThat(Transformer.randomInit(c, 43).parameters().values()).isNotEqualTo(Transformer.randomInit(c, 42).parameters().values());
    }

    @Test
    void concurrentLogitsCallsDoNotInterfere() throws Exception {
        Transformer m = spread(tiny(false), 15);
        int T = 40;
        int[][] inputs = new int[4][];
        float[][] expected = new float[4][];
        for (int i = 0; i < 4; i++) {
            inputs[i] = randomIds(new Random(100 + i), 2 * T, 11);
            expected[i] = m.logits(inputs[i], 2, T, null, null);
        }
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<float[]>>();
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 4; i++) {
                    int k = i;
                    futures.add(pool.submit(() -> m.logits(inputs[k], 2, T, null, null)));
                }
            }
            for (int f = 0; f < futures.size(); f++) assertThat(futures.get(f).get()).containsExactly(expected[f % 4]);
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void randomInitFollowsTheContract() {
        Transformer m = Transformer.randomInit(ModelConfig.preset("tiny"), 1);
        Parameters p = m.parameters();
        assertThat((long) p.size()).isEqualTo(m.config().parameterCount());
        Parameters.Parameter norm = p.get(LladaTensors.block(0, "attn_norm"));
        for (int i = 0; i < norm.size(); i++) assertThat(p.values()[norm.offset() + i]).isEqualTo(1f);
        Parameters.Parameter q = p.get(LladaTensors.block(1, "q_proj"));
        double s = 0, s2 = 0;
        for (int i = 0; i < q.size(); i++) { s += p.values()[q.offset() + i]; s2 += p.values()[q.offset() + i] * p.values()[q.offset() + i]; }
        assertThat(s / q.size()).isCloseTo(0, offset(1e-3));
        assertThat(Math.sqrt(s2 / q.size())).isCloseTo(0.02, offset(5e-4));
        assertThat(m.tensors().keySet()).containsExactlyElementsOf(LladaTensors.expectedShapes(m.config()).keySet());
    }

    /** Rounds to the nearest bfloat16, ties to even. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    @Test
    void mappedBf16WeightsGiveTheLogitsOfTheRoundedFloatModel() {
        ModelConfig c = tiny(false);
        Transformer source = spread(c, 21);
        Map<String, Weights> rounded = new LinkedHashMap<>(), bf16 = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            for (var e : source.tensors().entrySet()) {
                int n = (int) e.getValue().size();
                float[] r = new float[n];
                MemorySegment seg = arena.allocate(2L * n);
                for (int i = 0; i < n; i++) {
                    short b = toBf16(e.getValue().get(i));
                    r[i] = Float.intBitsToFloat(b << 16);
                    seg.set(Weights.I16_LE, 2L * i, b);
                }
                rounded.put(e.getKey(), new Weights.F32(r, 0, n));
                bf16.put(e.getKey(), Weights.mapped(seg, DType.BF16));
            }
            Transformer f32 = Transformer.fromWeights(c, rounded, false);
            Transformer mapped = Transformer.fromWeights(c, bf16, false);
            Transformer copied = Transformer.fromWeights(c, bf16, true);
            assertThat(mapped.trainable()).isFalse();
            assertThat(mapped.tensors().get(LladaTensors.EMBEDDING).dtype()).isEqualTo(DType.BF16);
            int[] ids = randomIds(new Random(9), 2 * 6, 11);
            boolean[] attend = {true, true, true, true, true, true, false, true, true, true, true, true};
            float[] expected = f32.logits(ids, 2, 6, attend, null);
            for (float[] got : new float[][]{mapped.logits(ids, 2, 6, attend, null), copied.logits(ids, 2, 6, attend, null)}) {
                for (int i = 0; i < expected.length; i++) {
                    assertThat(got[i]).isCloseTo(expected[i], offset(1e-4f + 1e-4f * Math.abs(expected[i])));
                }
            }
            // and the rounding itself matters: the unrounded model differs by more than float noise
            float[] unrounded = source.logits(ids, 2, 6, attend, null);
            double maxDiff = 0;
            for (int i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(unrounded[i] - expected[i]));
            assertThat(maxDiff).isGreaterThan(1e-3);
            assertThatThrownBy(mapped::parameters).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void fromWeightsNamesTheBadTensor() {
        ModelConfig c = tiny(false);
        Map<String, Weights> good = Transformer.randomInit(c, 1).tensors();
        Map<String, Weights> missing = new HashMap<>(good);
        missing.remove(LladaTensors.block(1, "up_proj"));
        assertThatThrownBy(() -> Transformer.fromWeights(c, missing, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing tensor model.transformer.blocks.1.up_proj.weight");
        Map<String, Weights> wrong = new HashMap<>(good);
        wrong.put(LladaTensors.FINAL_NORM, new Weights.F32(new float[15], 0, 15));
        assertThatThrownBy(() -> Transformer.fromWeights(c, wrong, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(LladaTensors.FINAL_NORM).hasMessageContaining("15");
        Map<String, Weights> extra = new HashMap<>(good);
        extra.put("model.transformer.blocks.9.q_proj.weight", new Weights.F32(new float[4], 0, 4));
        assertThatThrownBy(() -> Transformer.fromWeights(c, extra, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unexpected tensor model.transformer.blocks.9.q_proj.weight");
    }

    @Test
    void badInputsGetClearErrors() {
        Transformer m = Transformer.randomInit(tiny(false), 1);
        assertThatThrownBy(() -> m.logits(new int[5], 1, 6, null, null)).hasMessageContaining("expected 6 token ids");
        assertThatThrownBy(() -> m.logits(new int[]{0, 13}, 1, 2, null, null)).hasMessageContaining("token id 13 at position 1");
        assertThatThrownBy(() -> m.logits(new int[2], 1, 2, new boolean[3], null)).hasMessageContaining("key-padding array attend has 3 entries");
        assertThatThrownBy(() -> m.logits(new int[2], 1, 2, null, new int[]{2})).hasMessageContaining("row 2");
        assertThatThrownBy(() -> m.forwardBackward(new int[2], 1, 2, null, null, new int[]{0}, new int[]{20}, null))
                .hasMessageContaining("target 20");
    }
}
