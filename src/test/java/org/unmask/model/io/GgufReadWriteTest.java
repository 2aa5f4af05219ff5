package org.unmask.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.LladaMoeFamily;
import org.unmask.model.LladaMoeSettings;
import org.unmask.model.GenerationDefaults;
import org.unmask.model.ModelConfig;
import org.unmask.model.Transformer;
import org.unmask.model.kernels.AttentionPattern;
import org.unmask.model.moe.SoftmaxRouterConfig;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Quantizer;
import org.unmask.model.tensor.Weights;
import org.unmask.text.HfTokenizer;

import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** Our GGUF writer (unmask quantize) read back, the tokenizer in metadata, and the errors for bad files. */
class GgufReadWriteTest {
    @TempDir Path tmp;

    @Test
    void exportHoldsEachHuggingFaceRowQuantizedInPlaceAndItsLogitsAreThoseOfTheDequantizedWeights() throws Exception {
        for (String arch : List.of("llada", "dream", "lladamoe")) {
            Path dir = GgufFixturesTest.resource(arch);
            // the tiny models' rows are not whole super-blocks: the K-quant mixes fall back to Q5_0 and Q5_1
            for (GgufFileType type : new GgufFileType[]{GgufFileType.F32, GgufFileType.Q8_0, GgufFileType.Q4_0,
                    GgufFileType.Q4_1, GgufFileType.Q4_K_M, GgufFileType.Q5_K_M, GgufFileType.Q3_K_M})
                assertRoundTrip(dir, type, arch);
        }
        try (Checkpoint q4km = Checkpoint.open(tmp.resolve("llada-Q4_K_M.gguf"));
             Checkpoint q5km = Checkpoint.open(tmp.resolve("llada-Q5_K_M.gguf"))) {
            assertThat(q4km.tensorInfos().get("model.transformer.blocks.0.q_proj.weight").dtype()).isEqualTo(DType.Q5_0);
            assertThat(q5km.tensorInfos().get("model.transformer.blocks.0.q_proj.weight").dtype()).isEqualTo(DType.Q5_1);
        }
    }

    /**
     * Each Hugging Face row of {@code dir} quantized on its own must be what the GGUF of {@code type} holds, and the
     * logits of the file's weights through the quantized kernels must be those of the same weights dequantized.
     */
    private void assertRoundTrip(Path dir, GgufFileType type, String arch) throws Exception {
        Path out = tmp.resolve(arch + "-" + type + ".gguf");
        GgufExport.write(dir, type, out, null);
        try (Checkpoint hf = Checkpoint.open(dir); Checkpoint gg = Checkpoint.open(out);
             Arena arena = Arena.ofConfined()) {
            assertThat(gg.config()).isEqualTo(hf.config());
            for (Map.Entry<String, Weights> e : hf.tensors().entrySet()) {
                Weights a = e.getValue(), b = gg.tensors().get(e.getKey());
                float[] fa = new float[(int) a.size()], fb = new float[(int) b.size()];
                a.toFloat(0, fa, 0, fa.length);
                b.toFloat(0, fb, 0, fb.length);
                DType stored = gg.tensorInfos().get(e.getKey()).dtype();
                if (stored == DType.F32) {
                    assertSameFloats(e.getKey(), fa, fb);
                } else {
                    // each Hugging Face row, quantized on its own, must be what the file holds for that row
                    MemorySegment q = arena.allocate(stored.byteSize(fa.length));
                    Quantizer.quantize(stored, fa, 0, fa.length, q, 0);
                    float[] fq = new float[fa.length];
                    Weights.mapped(q, stored).toFloat(0, fq, 0, fq.length);
                    assertSameFloats(type + " " + e.getKey(), fq, fb);
                }
            }
            // the quantized kernels in a whole model: the logits of the same weights dequantized into heap floats
            Map<String, Weights> heap = new java.util.LinkedHashMap<>();
            gg.tensors().forEach((k, w) -> {
                float[] f = new float[(int) w.size()];
                w.toFloat(0, f, 0, f.length);
                heap.put(k, new Weights.F32(f, 0, f.length));
            });
            int[] ids = {0, 7, 3, 3, 12, 30};
            float[] want = Transformer.fromWeights(gg.config(), heap, false).logits(ids, 1, ids.length, null, null, AttentionPattern.BIDIRECTIONAL);
            float[] got = Transformer.fromWeights(gg.config(), gg.tensors(), false).logits(ids, 1, ids.length, null, null, AttentionPattern.BIDIRECTIONAL);
            double scale = 0;
            for (float v : want) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < want.length; i++)
                assertThat((double) got[i]).as("%s %s logit %d", arch, type, i).isCloseTo(want[i], offset(1e-5 * scale));
        }
    }

    /** Bit for bit, naming the first difference (AssertJ's containsExactly is quadratic on arrays this long). */
    private static void assertSameFloats(String what, float[] want, float[] got) {
        assertThat(got.length).as(what).isEqualTo(want.length);
        for (int i = 0; i < want.length; i++)
            if (Float.floatToIntBits(got[i]) != Float.floatToIntBits(want[i]))
                assertThat(got[i]).as("%s element %d", what, i).isEqualTo(want[i]);
    }

    /**
     * A LLaDA whose rows are whole super-blocks, as Q4_K_M: K-quants read back row by row, and llama-quantize's mix
     * (8 layers: layers 0 and 7, the first and last eighth, and 3 and 6, every third between, get Q6_K in attn_v and
     * ffn_down; the LM head Q6_K; embeddings Q4_K).
     */
    @Test
    void q4KmMixesTheTypesAsLlamaQuantizeAndReadsBackRowByRow() throws Exception {
        ModelConfig c = new ModelConfig(256, 8, 4, 2, 256, 64, null, 64, 10000.0, 1e-5, false, 2, 0, 0, 1);
        Path dir = tmp.resolve("k");
        Checkpoint.saveSources(dir, c, RandomInit.tensors(c, 5), DType.F32, 1L << 30, null);
        for (GgufFileType type : new GgufFileType[]{GgufFileType.Q2_K, GgufFileType.Q3_K_M, GgufFileType.Q4_K_M,
                GgufFileType.Q5_K_M, GgufFileType.Q6_K, GgufFileType.IQ4_XS})
            assertRoundTrip(dir, type, "llada-k");
        try (Checkpoint gg = Checkpoint.open(tmp.resolve("llada-k-Q4_K_M.gguf"))) {
            String p = "model.transformer.blocks.";
            for (int l = 0; l < 8; l++) {
                DType more = l == 0 || l == 3 || l == 6 || l == 7 ? DType.Q6_K : DType.Q4_K;
                assertThat(gg.tensorInfos().get(p + l + ".v_proj.weight").dtype()).as("layer %d attn_v", l).isEqualTo(more);
                assertThat(gg.tensorInfos().get(p + l + ".ff_out.weight").dtype()).as("layer %d ffn_down", l).isEqualTo(more);
                assertThat(gg.tensorInfos().get(p + l + ".q_proj.weight").dtype()).isEqualTo(DType.Q4_K);
                assertThat(gg.tensorInfos().get(p + l + ".up_proj.weight").dtype()).isEqualTo(DType.Q4_K);
            }
            assertThat(gg.tensorInfos().get("model.transformer.ff_out.weight").dtype()).isEqualTo(DType.Q6_K);
            assertThat(gg.tensorInfos().get("model.transformer.wte.weight").dtype()).isEqualTo(DType.Q4_K);
        }
    }

    /** llama-quantize's choices (llama_tensor_get_type) for the 2- to 5-bit K-quant mixes of a 32-layer model. */
    @Test
    void kQuantMixesGiveMoreBitsWhereLlamaQuantizeDoes() {
        long[] m = {4096, 4096};
        for (int l = 0; l < 32; l++) {
            String v = "blk." + l + ".attn_v.weight", down = "blk." + l + ".ffn_down.weight", o = "blk." + l + ".attn_output.weight";
            assertThat(GgufExport.storage(v, m, GgufFileType.Q3_K_M, false, 32, 1)).isEqualTo(l < 2 ? DType.Q5_K : DType.Q4_K);
            assertThat(GgufExport.storage(down, m, GgufFileType.Q3_K_M, false, 32, 1)).isEqualTo(l < 2 ? DType.Q5_K : DType.Q4_K);
            assertThat(GgufExport.storage(o, m, GgufFileType.Q3_K_M, false, 32, 1)).isEqualTo(DType.Q4_K);
            assertThat(GgufExport.storage(v, m, GgufFileType.Q3_K_L, false, 32, 1)).isEqualTo(DType.Q5_K);
            assertThat(GgufExport.storage(down, m, GgufFileType.Q3_K_S, false, 32, 1)).isEqualTo(DType.Q3_K);
            assertThat(GgufExport.storage(v, m, GgufFileType.Q4_K_S, false, 32, 1)).isEqualTo(l < 4 ? DType.Q5_K : DType.Q4_K);
            assertThat(GgufExport.storage(down, m, GgufFileType.Q4_K_S, false, 32, 1)).isEqualTo(l < 4 ? DType.Q5_K : DType.Q4_K);
            assertThat(GgufExport.storage(v, m, GgufFileType.Q5_K_S, false, 32, 1)).isEqualTo(DType.Q5_K);
            // Q2_K: attn_v in Q4_K under grouped-query attention (4 or more query heads per key/value head), else Q3_K
            assertThat(GgufExport.storage(v, m, GgufFileType.Q2_K, false, 32, 1)).isEqualTo(DType.Q3_K);
            assertThat(GgufExport.storage(v, m, GgufFileType.Q2_K, false, 32, 7)).isEqualTo(DType.Q4_K);
            assertThat(GgufExport.storage(down, m, GgufFileType.Q2_K, false, 32, 1)).isEqualTo(DType.Q3_K);
            assertThat(GgufExport.storage(o, m, GgufFileType.Q2_K, false, 32, 1)).isEqualTo(DType.Q3_K);
            assertThat(GgufExport.storage("blk." + l + ".ffn_up.weight", m, GgufFileType.Q2_K, false, 32, 1)).isEqualTo(DType.Q2_K);
        }
        assertThat(GgufExport.storage("output.weight", m, GgufFileType.Q2_K, false, 32, 1)).isEqualTo(DType.Q6_K);
        assertThat(GgufExport.storage("token_embd.weight", m, GgufFileType.Q3_K_M, false, 32, 1)).isEqualTo(DType.Q3_K);
        // IQ4: attn_v Q5_K under grouped-query attention, ffn_down of the first eighth Q5_K
        assertThat(GgufExport.storage("blk.9.attn_v.weight", m, GgufFileType.IQ4_XS, false, 32, 4)).isEqualTo(DType.Q5_K);
        assertThat(GgufExport.storage("blk.9.attn_v.weight", m, GgufFileType.IQ4_XS, false, 32, 1)).isEqualTo(DType.IQ4_XS);
        assertThat(GgufExport.storage("blk.3.ffn_down.weight", m, GgufFileType.IQ4_NL, false, 32, 1)).isEqualTo(DType.Q5_K);
        assertThat(GgufExport.storage("blk.4.ffn_down.weight", m, GgufFileType.IQ4_NL, false, 32, 1)).isEqualTo(DType.IQ4_NL);
        // rows short of a super-block: IQ4_NL for Q2_K, Q3_K and IQ4_XS
        for (GgufFileType t : new GgufFileType[]{GgufFileType.Q2_K, GgufFileType.Q3_K_M, GgufFileType.IQ4_XS})
            assertThat(GgufExport.storage("blk.3.attn_q.weight", new long[]{320, 320}, t, false, 32, 1)).isEqualTo(DType.IQ4_NL);
    }

    @Test
    void lmHeadOfQuantizedFilesIsQ6_KAndNormsAreF32() {
        GgufFileType q4 = GgufFileType.Q4_0;
        assertThat(GgufExport.storage("output.weight", new long[]{40, 256}, q4, false, 2, 1)).isEqualTo(DType.Q6_K);
        assertThat(GgufExport.storage("output.weight", new long[]{40, 64}, q4, false, 2, 1)).isEqualTo(DType.Q8_0);   // rows not whole super-blocks
        assertThat(GgufExport.storage("output.weight", new long[]{40, 256}, GgufFileType.Q8_0, false, 2, 1)).isEqualTo(DType.Q8_0);
        assertThat(GgufExport.storage("output.weight", new long[]{40, 256}, GgufFileType.BF16, false, 2, 1)).isEqualTo(DType.BF16);
        assertThat(GgufExport.storage("token_embd.weight", new long[]{40, 256}, q4, false, 2, 1)).isEqualTo(DType.Q4_0);
        assertThat(GgufExport.storage("token_embd.weight", new long[]{40, 256}, q4, true, 2, 1)).isEqualTo(DType.Q6_K);
        assertThat(GgufExport.storage("blk.0.attn_norm.weight", new long[]{64}, q4, false, 2, 1)).isEqualTo(DType.F32);
        assertThat(GgufExport.storage("blk.0.ffn_down.weight", new long[]{64, 48}, GgufFileType.Q8_0, false, 2, 1)).isEqualTo(DType.F16);
        // llama-quantize's fallbacks for rows that are not whole super-blocks
        assertThat(GgufExport.storage("blk.5.ffn_up.weight", new long[]{64, 96}, GgufFileType.Q4_K_M, false, 32, 1)).isEqualTo(DType.Q5_0);
        assertThat(GgufExport.storage("blk.5.ffn_up.weight", new long[]{64, 96}, GgufFileType.Q5_K_M, false, 32, 1)).isEqualTo(DType.Q5_1);
        assertThat(GgufExport.storage("blk.5.ffn_up.weight", new long[]{64, 96}, GgufFileType.Q6_K, false, 32, 1)).isEqualTo(DType.Q8_0);
        assertThat(GgufExport.storage("blk.5.ffn_up.weight", new long[]{64, 48}, GgufFileType.Q4_K_M, false, 32, 1)).isEqualTo(DType.F16);
        // 32 layers: Q6_K for 0-3 and 28-31, and 6, 9, ..., 27 between
        for (int l = 0; l < 32; l++) {
            boolean more = l < 4 || l >= 28 || (l - 4) % 3 == 2;
            assertThat(GgufExport.storage("blk." + l + ".attn_v.weight", new long[]{1024, 4096}, GgufFileType.Q5_K_M, false, 32, 1))
                    .as("layer %d", l).isEqualTo(more ? DType.Q6_K : DType.Q5_K);
            assertThat(GgufExport.storage("blk." + l + ".ffn_gate.weight", new long[]{12288, 4096}, GgufFileType.Q4_K_M, false, 32, 1))
                    .isEqualTo(DType.Q4_K);
        }
    }

    @Test
    void lladaMoeRouterStaysF32() {
        GgufFileType q4 = GgufFileType.Q4_0;
        assertThat(GgufExport.storage("blk.3.ffn_gate_inp.weight", new long[]{64, 2048}, q4, false, 16, 1)).isEqualTo(DType.F32);
        assertThat(GgufExport.storage("blk.3.ffn_gate_exps.weight", new long[]{64, 1024, 2048}, q4, false, 16, 1)).isEqualTo(DType.Q4_0);
        assertThat(GgufExport.storage("blk.3.ffn_down_exps.weight", new long[]{64, 2048, 1000}, q4, false, 16, 1)).isEqualTo(DType.F16);
        assertThat(GgufExport.storage("blk.0.ffn_down_exps.weight", new long[]{64, 2048, 1024}, GgufFileType.Q4_K_M, false, 16, 1))
                .isEqualTo(DType.Q6_K);
    }

    /** A tiny LLaDA-MoE of the released layout (q/k norms, whole-head RoPE, a mixture in every layer). */
    static ModelConfig tinyLladaMoe(LladaMoeSettings moe, int rotary, boolean qkNorm) {
        return new ModelConfig(new LladaMoeFamily(moe), 64, 2, 4, 2, 16, 64, 48, 48, 128, 50000.0, rotary, 1e-5,
                false, qkNorm, false, false, 47, 1, 1, null);
    }

    static LladaMoeSettings mixture(int shared, boolean bias, List<Integer> freq) {
        return new LladaMoeSettings(new SoftmaxRouterConfig(8, 2, false), 32, shared, bias, freq);
    }

    @Test
    void randomLladaMoeDirectoryQuantizedToQ8_0GivesTheLogitsOfTheOriginal() throws Exception {
        ModelConfig c = tinyLladaMoe(mixture(0, false, List.of(1, 1)), 16, true);
        Path dir = tmp.resolve("moe");
        Checkpoint.saveSources(dir, c, RandomInit.tensors(c, 11), DType.F32, 1L << 30, null);
        Path out = tmp.resolve("moe-q8_0.gguf");
        GgufExport.Written written = GgufExport.write(dir, GgufFileType.Q8_0, out, null);
        // per layer: 3 stacked expert tensors and 3 other matrices in Q8_0, the router in F32; plus the two big matrices
        assertThat(written.tensorsByType().get(DType.Q8_0)).isEqualTo(2 * (3 + 4) + 2);
        try (Checkpoint hf = Checkpoint.open(dir); Checkpoint gg = Checkpoint.open(out)) {
            assertThat(gg.config()).isEqualTo(c);
            assertThat(gg.tensorInfos().get("model.layers.1.mlp.gate.weight").dtype()).isEqualTo(DType.F32);
            assertThat(gg.tensorInfos().get("model.layers.1.mlp.experts.7.down_proj.weight").dtype()).isEqualTo(DType.Q8_0);
            int[] ids = {0, 7, 47, 47, 12, 30, 5, 47};
            float[] want = Transformer.fromWeights(c, hf.tensors(), false).logits(ids, 1, ids.length, null, null, AttentionPattern.BIDIRECTIONAL);
            float[] got = Transformer.fromWeights(gg.config(), gg.tensors(), false).logits(ids, 1, ids.length, null, null, AttentionPattern.BIDIRECTIONAL);
            double norm = 0, err = 0;
            for (int i = 0; i < want.length; i++) {
                norm += want[i] * want[i];
                err += (got[i] - want[i]) * (got[i] - want[i]);
            }
            // Q8_0 rounds each Gaussian weight to 1/254 of its block's largest (about 2.1 σ): an error of about 0.5% of
            // the weights' size, met by every matrix on the way to the logits (this model: 1.0% of the logits' norm)
            assertThat(Math.sqrt(err / norm)).isGreaterThan(1e-3).isLessThan(2e-2);
        }
    }

    @Test
    void lladaMoeFeaturesLlamaCppLacksAreRefusedWhenWriting() {
        assertThatThrownBy(() -> GgufLayout.tensors(tinyLladaMoe(mixture(32, false, List.of(1, 1)), 16, true)))
                .hasMessageContaining("no shared expert").hasMessageContaining("shared_expert_intermediate_size = 32");
        assertThatThrownBy(() -> GgufLayout.tensors(tinyLladaMoe(mixture(0, true, List.of(1, 1)), 16, true)))
                .hasMessageContaining("no router expert bias");
        assertThatThrownBy(() -> GgufLayout.tensors(tinyLladaMoe(mixture(0, false, List.of(0, 1)), 16, true)))
                .hasMessageContaining("moe_layer_freq = [0, 1]");
        assertThatThrownBy(() -> GgufLayout.checkLlamaCppRuns(tinyLladaMoe(mixture(0, false, List.of(1, 1)), 8, true)))
                .hasMessageContaining("rotates 8 of 16 dimensions");
        assertThatThrownBy(() -> GgufLayout.checkLlamaCppRuns(tinyLladaMoe(mixture(0, false, List.of(1, 1)), 16, false)))
                .hasMessageContaining("qk_layernorm = false");
        assertThatThrownBy(() -> GgufLayout.arch(org.unmask.model.LLaDA2Family.PROTOTYPE))
                .hasMessageContaining("no architecture for LLaDA 2.x");
    }

    @Test
    void lladaMoeMetadataLlamaCppDoesNotComputeIsRefusedWhenReading() throws Exception {
        Path full = GgufFixturesTest.resource("lladamoe/model.gguf");
        try (GgufFile g = GgufFile.open(full)) {
            GgufWriter w = copy(g, null, null);
            w.putU32("llada-moe.expert_gating_func", 2);
            Path sigmoid = tmp.resolve("sigmoid.gguf");
            w.write(sigmoid);
            assertThatThrownBy(() -> Checkpoint.open(sigmoid)).hasMessageContaining(sigmoid.toString())
                    .hasMessageContaining("'llada-moe.expert_gating_func' = 2");
            GgufWriter w2 = copy(g, null, "llada-moe.expert_count");
            Path noCount = tmp.resolve("count.gguf");
            w2.write(noCount);
            assertThatThrownBy(() -> Checkpoint.open(noCount)).hasMessageContaining("missing metadata 'llada-moe.expert_count'");
            GgufWriter w3 = copy(g, "blk.1.ffn_up_exps.weight", null);
            Path missing = tmp.resolve("missing.gguf");
            w3.write(missing);
            assertThatThrownBy(() -> Checkpoint.open(missing)).hasMessageContaining("missing tensor 'blk.1.ffn_up_exps.weight'");
            GgufWriter w4 = copy(g, null, "llada-moe.expert_feed_forward_length");
            w4.putU32("llada-moe.expert_feed_forward_length", 16);
            Path shape = tmp.resolve("shape.gguf");
            w4.write(shape);
            assertThatThrownBy(() -> Checkpoint.open(shape))
                    .hasMessageContaining("tensor 'blk.0.ffn_down_exps.weight' has shape [4, 64, 32]")
                    .hasMessageContaining("expected [4, 64, 16]");
        }
    }

    @Test
    void permutationPutsHuggingFaceRowsAtPairwisePositions() {
        // head size 8: HF rows 0..3 (first halves) go to even rows, 4..7 to odd rows; the second head follows
        long[] got = new long[16];
        for (int r = 0; r < 16; r++) got[r] = GgufLayout.ggufRow(r, 8);
        assertThat(got).containsExactly(0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15);
    }

    /** A directory without tokenizer.json gets one from --tokenizer; one with ids beyond the embedding is refused, named. */
    @Test
    void aTokenizerGivenApartIsEmbeddedAndMustFitTheEmbedding() throws Exception {
        ModelConfig c = new ModelConfig(64, 1, 4, 2, 64, 904, null, 64, 10000.0, 1e-5, false, 2, 0, 0, 1);
        Path dir = tmp.resolve("no-tokenizer");
        Checkpoint.saveSources(dir, c, RandomInit.tensors(c, 2), DType.F32, 1L << 30, null);
        Path json = Path.of(GgufReadWriteTest.class.getResource("/tokenizers/bpe-llama3.json").toURI());
        Path without = tmp.resolve("without.gguf"), with = tmp.resolve("with.gguf");
        assertThat(GgufExport.write(dir, GgufFileType.Q8_0, without, null).tokenizer()).isFalse();
        assertThat(GgufExport.write(dir, GgufFileType.Q8_0, json, with, null).tokenizer()).isTrue();
        try (Checkpoint a = Checkpoint.open(without); Checkpoint b = Checkpoint.open(with)) {
            assertThat(a.ggufTokenizer()).isEmpty();
            assertThat(b.ggufTokenizer().orElseThrow().encode("In the beginning", false))
                    .containsExactly(HfTokenizer.load(json).encode("In the beginning", false));
        }
        assertThatThrownBy(() -> GgufExport.write(GgufFixturesTest.resource("llada"), GgufFileType.Q8_0, json, tmp.resolve("x.gguf"), null))
                .hasMessageContaining(json.toString()).hasMessageContaining("beyond the model's 40 embedding rows");
        assertThat(tmp.resolve("x.gguf")).doesNotExist();
    }

    @Test
    void tokenizerSurvivesTheMetadata() throws Exception {
        // the Ling split (LLaDA-MoE, LLaDA 2.x): the Qwen tokenizer with that regex in its place
        Path qwen = Path.of(GgufReadWriteTest.class.getResource("/tokenizers/bpe-qwen.json").toURI());
        com.fasterxml.jackson.databind.node.ObjectNode ling = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(qwen.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) ling.path("pre_tokenizer").path("pretokenizers").get(0).path("pattern"))
                .put("Regex", "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+");
        Path lingJson = tmp.resolve("bpe-ling.json");
        new ObjectMapper().writeValue(lingJson.toFile(), ling);
        Map<String, String> pre = Map.of("bpe-llama3.json", "llama-bpe", "bpe-qwen.json", "qwen2", "bpe-ling.json", "llada-moe");
        for (String name : List.of("bpe-llama3.json", "bpe-qwen.json", "bpe-ling.json")) {
            Path json = name.equals("bpe-ling.json") ? lingJson : Path.of(GgufReadWriteTest.class.getResource("/tokenizers/" + name).toURI());
            HfTokenizer original = HfTokenizer.load(json);
            GgufWriter w = new GgufWriter();
            w.putString("general.architecture", "llada");
            w.putU32("tokenizer.ggml.bos_token_id", 1);
            assertThat(GgufTokenizer.write(w, new ObjectMapper().readTree(json.toFile()), original.vocabSize() + 3, false)).isTrue();
            Path f = tmp.resolve(name + ".gguf");
            w.write(f);
            try (GgufFile g = GgufFile.open(f)) {
                assertThat(g.string("tokenizer.ggml.pre")).isEqualTo(pre.get(name));
                HfTokenizer back = GgufTokenizer.read(g).orElseThrow();
                String text;
                try (InputStream in = GgufReadWriteTest.class.getResourceAsStream("/text/sample.txt")) {
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                text += " <|mdm_mask|> 12345 don't I'M WE'LL they've\r\n\n  x";
                assertThat(back.encode(text, false)).isEqualTo(original.encode(text, false));
                int[] ids = original.encode(text, false);
                assertThat(back.decode(ids, false)).isEqualTo(original.decode(ids, false));
            }
        }
    }

    // ---- errors name the file and what is wrong ----

    private Path smallFile() throws Exception {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llada");
        w.putU32("llada.block_count", 1);
        float[] v = new float[64];
        w.addTensor("a", new long[]{2, 32}, DType.Q8_0, dst -> Quantizer.quantize(DType.Q8_0, v, 0, 64, dst, 0));
        w.addTensor("b", new long[]{64}, DType.F32, dst -> {});
        Path f = tmp.resolve("small.gguf");
        w.write(f);
        return f;
    }

    @Test
    void truncatedFilesAreReportedWithTheTensor() throws Exception {
        Path f = smallFile();
        byte[] all = Files.readAllBytes(f);
        Path cut = tmp.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(all, all.length - 100));
        assertThatThrownBy(() -> GgufFile.open(cut)).hasMessageContaining(cut.toString()).hasMessageContaining("'b'")
                .hasMessageContaining("truncated");
        Path header = tmp.resolve("header.gguf");
        Files.write(header, Arrays.copyOf(all, 40));
        assertThatThrownBy(() -> GgufFile.open(header)).hasMessageContaining("truncated GGUF header");
    }

    @Test
    void badMagicVersionTypeAndAlignmentAreNamed() throws Exception {
        Path f = smallFile();
        byte[] all = Files.readAllBytes(f);
        byte[] magic = all.clone();
        magic[0] = 'X';
        Path m = Files.write(tmp.resolve("m.gguf"), magic);
        assertThatThrownBy(() -> GgufFile.open(m)).hasMessageContaining("not a GGUF file");
        byte[] version = all.clone();
        version[4] = 2;
        Path v = Files.write(tmp.resolve("v.gguf"), version);
        assertThatThrownBy(() -> GgufFile.open(v)).hasMessageContaining("version 2");
        // tensor 'a' type field: after its name (8 + 1 bytes), dim count (4) and two dims (16)
        int at = indexOf(all, "a".getBytes(StandardCharsets.UTF_8), 8) + 1 + 4 + 16;
        byte[] type = all.clone();
        ByteBuffer.wrap(type).order(ByteOrder.LITTLE_ENDIAN).putInt(at, 16);   // IQ2_XXS: not read
        Path t = Files.write(tmp.resolve("t.gguf"), type);
        assertThatThrownBy(() -> GgufFile.open(t)).hasMessageContaining("tensor 'a'").hasMessageContaining("IQ2_XXS")
                .hasMessageContaining("does not read");
        byte[] offset = all.clone();
        ByteBuffer.wrap(offset).order(ByteOrder.LITTLE_ENDIAN).putLong(at + 4, 8);
        Path o = Files.write(tmp.resolve("o.gguf"), offset);
        assertThatThrownBy(() -> GgufFile.open(o)).hasMessageContaining("tensor 'a'").hasMessageContaining("alignment 32");
    }

    /** Index of a GGUF string {@code s} (its 8-byte length just before it) after {@code from}. */
    private static int indexOf(byte[] all, byte[] s, int from) {
        outer:
        for (int i = from; i + s.length <= all.length; i++) {
            if (ByteBuffer.wrap(all, i - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() != s.length) continue;
            for (int j = 0; j < s.length; j++) if (all[i + j] != s[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void missingAndMisshapenModelTensorsAreNamed() throws Exception {
        Path dir = GgufFixturesTest.resource("llada");
        Path full = tmp.resolve("full.gguf");
        GgufExport.write(dir, GgufFileType.Q8_0, full, null);
        // rewrite without one tensor: every other key and tensor copied through our writer
        try (GgufFile g = GgufFile.open(full)) {
            GgufWriter w = copy(g, "blk.1.ffn_up.weight", null);
            Path missing = tmp.resolve("missing.gguf");
            w.write(missing);
            assertThatThrownBy(() -> Checkpoint.open(missing)).hasMessageContaining(missing.toString())
                    .hasMessageContaining("missing tensor 'blk.1.ffn_up.weight'");
            GgufWriter w2 = copy(g, null, "general.architecture");
            w2.putString("general.architecture", "mamba");
            Path arch = tmp.resolve("arch.gguf");
            w2.write(arch);
            assertThatThrownBy(() -> Checkpoint.open(arch)).hasMessageContaining("architecture 'mamba'");
            GgufWriter w3 = copy(g, null, "llada.embedding_length");
            Path key = tmp.resolve("key.gguf");
            w3.write(key);
            assertThatThrownBy(() -> Checkpoint.open(key)).hasMessageContaining("missing metadata 'llada.embedding_length'");
        }
    }

    /** A Llama file whose RoPE is scaled (Llama 3.1's frequencies, linear or YaRN scaling) is refused, naming why. */
    @Test
    void aLlamaFileWithScaledRopeIsRefused() throws Exception {
        Path dir = GgufFixturesTest.resource("llada");
        Path full = tmp.resolve("llama.gguf");
        GgufExport.write(dir, GgufFileType.F32, null, full, null, true);   // written as an autoregressive run
        try (Checkpoint c = Checkpoint.open(full)) {
            assertThat(c.config().family().autoregressive()).isTrue();
        }
        try (GgufFile g = GgufFile.open(full)) {
            assertThat(g.string("general.architecture")).isEqualTo("llama");
            GgufWriter w = copy(g, null, null);
            w.putString("llama.rope.scaling.type", "linear");
            Path linear = tmp.resolve("linear.gguf");
            w.write(linear);
            assertThatThrownBy(() -> Checkpoint.open(linear)).hasMessageContaining(linear.toString())
                    .hasMessageContaining("'llama.rope.scaling.type' = linear");
            GgufWriter w2 = copy(g, null, null);
            w2.addTensor("rope_freqs.weight", new long[]{4}, org.unmask.model.tensor.DType.F32, dst -> dst.fill((byte) 0));
            Path freqs = tmp.resolve("freqs.gguf");
            w2.write(freqs);
            assertThatThrownBy(() -> Checkpoint.open(freqs)).hasMessageContaining("'rope_freqs.weight'");
        }
    }

    /** The file's keys (the int and float ones this test needs) and tensors, without {@code skipTensor}/{@code skipKey}. */
    private static GgufWriter copy(GgufFile g, String skipTensor, String skipKey) {
        GgufWriter w = new GgufWriter();
        g.metadata().forEach((k, v) -> {
            if (k.equals(skipKey)) return;
            switch (v) {
                case String s -> w.putString(k, s);
                case Long l -> w.putU32(k, (int) (long) l);
                case Double d -> w.putF32(k, (float) (double) d);
                case Boolean b -> w.putBool(k, b);
                default -> { }
            }
        });
        g.tensors().forEach((name, t) -> {
            if (name.equals(skipTensor)) return;
            MemorySegment src = g.bytes(name);
            w.addTensor(name, t.shape(), t.dtype(), dst -> MemorySegment.copy(src, 0, dst, 0, src.byteSize()));
        });
        return w;
    }

    @Test
    void theBlockSizeOfABlockDiffusionModelSurvivesTheExport() throws Exception {
        ModelConfig c = exportedWithConfig("block", m -> m.withBlockSize(4));
        assertThat(c.blockSize()).isEqualTo(4);
        assertThat(c.neverPredictMask()).isFalse();
    }

    @Test
    void aHeadThatNeverPredictsTheMaskSurvivesTheExport() throws Exception {
        assertThat(exportedWithConfig("subs", m -> m.withNeverPredictMask(true)).neverPredictMask()).isTrue();
    }

    @Test
    void theModelsSamplingSettingsTravelInTheFile() throws Exception {
        Path dir = lladaFixtureCopy("with-settings");
        java.nio.file.Files.writeString(dir.resolve(GenerationDefaults.FILE),
                "{\"max_new_tokens\": 64, \"unmask\": {\"block_length\": 4, \"temperature\": 0.9}}");
        Path alone = java.nio.file.Files.createDirectories(tmp.resolve("alone")).resolve("m.gguf");
        GgufExport.write(dir, GgufFileType.Q8_0, alone, null);
        GenerationDefaults d = org.unmask.api.UnmaskModel.load(alone).generationDefaults();
        assertThat(d.blockLength()).isEqualTo(4);
        assertThat(d.temperature()).isEqualTo(0.9);
        assertThat(d.remasking()).isEqualTo(GenerationDefaults.LLADA.remasking());
        // a file quantized again from the GGUF keeps them
        Path again = java.nio.file.Files.createDirectories(tmp.resolve("again")).resolve("m4.gguf");
        GgufExport.write(alone, GgufFileType.Q4_0, again, null);
        assertThat(org.unmask.api.UnmaskModel.load(again).generationDefaults()).isEqualTo(d);
        // a generation_config.json beside the file wins, as a tokenizer.json beside it does
        java.nio.file.Files.writeString(alone.resolveSibling(GenerationDefaults.FILE), "{\"unmask\": {\"block_length\": 8}}");
        GenerationDefaults beside = org.unmask.api.UnmaskModel.load(alone).generationDefaults();
        assertThat(beside.blockLength()).isEqualTo(8);
        assertThat(beside.temperature()).isEqualTo(GenerationDefaults.LLADA.temperature());
        // without settings the file has no key, and bad ones are named with the file and the key
        Path plain = tmp.resolve("plain.gguf");
        GgufExport.write(GgufFixturesTest.resource("llada"), GgufFileType.Q8_0, plain, null);
        try (Checkpoint c = Checkpoint.open(plain)) {
            assertThat(c.ggufMetadata().orElseThrow()).doesNotContainKey(GenerationDefaults.GGUF_KEY);
        }
        Path f = Path.of("x.gguf");
        assertThatThrownBy(() -> GenerationDefaults.fromGguf(Map.of(GenerationDefaults.GGUF_KEY, "{"), f, GenerationDefaults.LLADA))
                .hasMessageStartingWith("x.gguf: metadata unmask.generation_config: not valid JSON");
        assertThatThrownBy(() -> GenerationDefaults.fromGguf(Map.of(GenerationDefaults.GGUF_KEY, 3), f, GenerationDefaults.LLADA))
                .hasMessage("x.gguf: metadata unmask.generation_config must be a string of JSON");
        assertThatThrownBy(() -> GenerationDefaults.fromGguf(Map.of(GenerationDefaults.GGUF_KEY, "{\"temperature\": \"hot\"}"), f,
                GenerationDefaults.LLADA)).hasMessage("x.gguf: metadata unmask.generation_config: field 'unmask.temperature' must be a number >= 0, got \"hot\"");
        // and a bad generation_config.json is refused when quantizing, named
        java.nio.file.Files.writeString(dir.resolve(GenerationDefaults.FILE), "{\"unmask\": {\"top_k\": -1}}");
        assertThatThrownBy(() -> GgufExport.write(dir, GgufFileType.Q8_0, tmp.resolve("bad.gguf"), null))
                .hasMessageContaining(dir.resolve(GenerationDefaults.FILE).toString()).hasMessageContaining("'unmask.top_k'");
    }

    private Path lladaFixtureCopy(String name) throws Exception {
        Path dir = tmp.resolve(name);
        java.nio.file.Files.createDirectories(dir);
        try (var files = java.nio.file.Files.list(GgufFixturesTest.resource("llada"))) {
            for (Path f : files.toList()) java.nio.file.Files.copy(f, dir.resolve(f.getFileName().toString()));
        }
        return dir;
    }

    /** The LLaDA fixture with its config changed, exported to Q8_0 GGUF: the config read back, checked equal to the source's. */
    private ModelConfig exportedWithConfig(String name, java.util.function.UnaryOperator<ModelConfig> change) throws Exception {
        Path dir = lladaFixtureCopy(name);
        change.apply(ModelConfig.read(dir.resolve("config.json"))).write(dir.resolve("config.json"));
        Path out = tmp.resolve(name + ".gguf");
        GgufExport.write(dir, GgufFileType.Q8_0, out, null);
        try (Checkpoint gg = Checkpoint.open(out)) {
            assertThat(gg.config()).isEqualTo(ModelConfig.read(dir.resolve("config.json")));
            return gg.config();
        }
    }

    @Test
    void ggufModelLoadsThroughTheCheckpointDispatchOnly() throws Exception {
        Path f = tmp.resolve("m.gguf");
        GgufExport.write(GgufFixturesTest.resource("dream"), GgufFileType.Q4_0, f, null);
        assertThat(Checkpoint.isGguf(f)).isTrue();
        assertThat(Checkpoint.isGguf(GgufFixturesTest.resource("dream/config.json"))).isFalse();
        try (Checkpoint c = Checkpoint.open(f)) {
            ModelConfig cfg = c.config();
            assertThat(cfg.logitShift()).isTrue();
            assertThat(c.tensorInfos().get("lm_head.weight").name()).isEqualTo("output.weight");
            assertThat(c.tensorInfos().get("lm_head.weight").dtype()).isEqualTo(DType.Q8_0);
            assertThat(c.ggufTokenizer()).isEmpty();
        }
    }
}
