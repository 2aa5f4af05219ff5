package org.unmask.model.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.Llada2Checkpoints;
import org.unmask.model.Transformer;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Matrices quantized while loading: which tensors change, how far each weight moves, and the logits that result. */
class QuantizeOnLoadTest {
    static final int[] IDS = {3, 9, 17, 5, 40, 22, 8, 61};

    @Test void matricesBecomeBlocksWithinHalfAStepAndTheLogitsFollow(@TempDir Path tmp) throws Exception {
        Llada2Checkpoints.write(tmp, Llada2Checkpoints.TINY, true, 9);
        try (Checkpoint ckpt = Checkpoint.open(tmp)) {
            for (DType type : new DType[]{DType.Q8_0, DType.Q4_0}) {
                Map<String, Weights> q = QuantizeOnLoad.apply(ckpt.config(), ckpt.tensors(), type);
                assertThat(q.get("model.layers.1.mlp.experts.3.up_proj.weight").dtype()).isEqualTo(type);
                assertThat(q.get("model.layers.0.attention.query_key_value.weight").dtype()).isEqualTo(type);
                assertThat(q.get("lm_head.weight").dtype()).isEqualTo(type);
                // the router and the norms keep their values, copied off the mapping
                for (String name : new String[]{"model.layers.1.mlp.gate.weight", "model.norm.weight", "model.layers.1.mlp.gate.expert_bias"}) {
                    Weights w = ckpt.tensors().get(name), c = q.get(name);
                    assertThat(c.dtype()).isEqualTo(DType.F32);
                    for (long i = 0; i < w.size(); i++) assertThat(c.get(i)).isEqualTo(w.get(i));
                }
                for (String name : new String[]{"model.layers.1.mlp.experts.3.up_proj.weight", "model.word_embeddings.weight"}) {
                    Weights w = ckpt.tensors().get(name), d = q.get(name);
                    int levels = type == DType.Q8_0 ? 127 : 8;
                    for (long b = 0; b < w.size() / 32; b++) {
                        float amax = 0;
                        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(w.get(b * 32 + j)));
                        // half a step of the block's scale (Q4_0: a whole step, as its 16 levels reach 8 steps on the side
                        // of the block's largest value but 7 on the other), plus the f16 rounding of the scale
                        double steps = type == DType.Q4_0 ? 1.0 : 0.5;
                        double tol = amax / levels * (steps + levels * Math.scalb(1.0, -11)) + 1e-7;
                        for (int j = 0; j < 32; j++)
                            assertThat((double) d.get(b * 32 + j)).as("%s %s block %d", type, name, b).isCloseTo(w.get(b * 32 + j), org.assertj.core.data.Offset.offset(tol));
                    }
                }
            }
        }
    }

    @Test void theLogitsAreThoseOfTheDequantizedWeights(@TempDir Path tmp) throws Exception {
        // a dense model: with experts, float rounding between two kernels can flip a near-tied route
        org.unmask.model.DreamCheckpoints.write(tmp, org.unmask.model.DreamCheckpoints.TINY, true, 10);
        try (Checkpoint ckpt = Checkpoint.open(tmp)) {
            float[] exact = Transformer.fromWeights(ckpt.config(), ckpt.tensors(), false).logits(IDS, 1, IDS.length, null, null);
            double scale = 0;
            for (float v : exact) scale = Math.max(scale, Math.abs(v));
            for (DType type : new DType[]{DType.Q8_0, DType.Q4_0}) {
                Map<String, Weights> q = QuantizeOnLoad.apply(ckpt.config(), ckpt.tensors(), type);
                float[] got = Transformer.fromWeights(ckpt.config(), q, false).logits(IDS, 1, IDS.length, null, null);
                // independent of the block kernels: the same weights dequantized into plain float arrays
                Map<String, Weights> plain = new java.util.LinkedHashMap<>();
                q.forEach((name, w) -> {
                    float[] f = new float[(int) w.size()];
                    w.toFloat(0, f, 0, f.length);
                    plain.put(name, new Weights.F32(f, 0, f.length));
                });
                float[] want = Transformer.fromWeights(ckpt.config(), plain, false).logits(IDS, 1, IDS.length, null, null);
                double err = 0, drift = 0;
                for (int i = 0; i < got.length; i++) {
                    err = Math.max(err, Math.abs(got[i] - want[i]));
                    drift = Math.max(drift, Math.abs(got[i] - exact[i]));
                }
                assertThat(err / scale).as("%s: against the dequantized weights in float32", type).isLessThan(1e-4);
                assertThat(drift).as("%s: the quantized model is not the bf16 one", type).isGreaterThan(10 * err);
            }
        }
    }

    /**
     * K-quants on load: matrices with whole super-blocks of 256 take the type, shorter rows fall back to Q8_0; the
     * logits move less from the float32 model's with each bit (Q4_0, Q4_K of the same size, Q5_K, Q6_K).
     */
    @Test void kQuantsTakeMatricesOfWholeSuperBlocksAndFallBackToQ8_0(@TempDir Path tmp) throws Exception {
        org.unmask.model.ModelConfig c = new org.unmask.model.ModelConfig(256, 2, 4, 2, 96, 64, null, 64, 10000.0, 1e-5, false, 2, 0, 0, 1);
        Checkpoint.saveSources(tmp, c, RandomInit.tensors(c, 3), DType.F32, 1L << 30, null);
        try (Checkpoint ckpt = Checkpoint.open(tmp)) {
            float[] exact = Transformer.fromWeights(c, ckpt.tensors(), false).logits(IDS, 1, IDS.length, null, null);
            double previous = Double.MAX_VALUE;
            for (DType type : new DType[]{DType.Q4_0, DType.Q4_K, DType.Q5_K, DType.Q6_K}) {
                Map<String, Weights> q = QuantizeOnLoad.apply(c, ckpt.tensors(), type);
                assertThat(q.get("model.transformer.blocks.0.q_proj.weight").dtype()).isEqualTo(type);
                assertThat(q.get("model.transformer.blocks.1.ff_proj.weight").dtype()).isEqualTo(type);   // 96 × 256
                assertThat(q.get("model.transformer.blocks.1.ff_out.weight").dtype())                       // 256 × 96
                        .isEqualTo(type == DType.Q4_0 ? DType.Q4_0 : DType.Q8_0);
                float[] got = Transformer.fromWeights(c, q, false).logits(IDS, 1, IDS.length, null, null);
                double norm = 0, err = 0;
                for (int i = 0; i < got.length; i++) {
                    norm += exact[i] * exact[i];
                    err += (got[i] - exact[i]) * (got[i] - exact[i]);
                }
                double relative = Math.sqrt(err / norm);
                assertThat(relative).as("%s relative logit error", type).isGreaterThan(1e-4).isLessThan(previous);
                previous = relative;
            }
        }
    }

    @Test void aModelLoadedQuantizedNoLongerNeedsItsFile(@TempDir Path tmp) throws Exception {
        Llada2Checkpoints.write(tmp, Llada2Checkpoints.TINY, true, 11);
        org.unmask.api.UnmaskModel m = org.unmask.api.UnmaskModel.load(tmp, DType.Q8_0);
        // the checkpoint is unmapped after loading: a forward that touched it would fail
        float[] logits = m.denoiser().logits(IDS, 1, IDS.length, null, null);
        assertThat(logits).hasSize(IDS.length * Llada2Checkpoints.TINY.vocab());
        for (float v : logits) assertThat(v).isFinite();
    }
}
