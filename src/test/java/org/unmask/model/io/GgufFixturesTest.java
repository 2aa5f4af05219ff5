package org.unmask.model.io;

import org.junit.jupiter.api.Test;
import org.unmask.model.ModelConfig;
import org.unmask.model.Transformer;
import org.unmask.model.kernels.AttentionPattern;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Quantizer;
import org.unmask.model.tensor.Weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/**
 * Against files written by gguf-py, the llama.cpp project's Python package (src/test/python/make_gguf_fixtures.py):
 * dequantization, quantized bytes, and tiny LLaDA, Dream and LLaDA-MoE models whose GGUF must give the weights and
 * logits of the Hugging Face checkpoint of the values gguf-py dequantizes it to.
 */
class GgufFixturesTest {

    static Path resource(String name) throws Exception {
        return Path.of(GgufFixturesTest.class.getResource("/gguf/" + name).toURI());
    }

    @Test
    void everyTypeDequantizesExactlyAsGgufPy() throws Exception {
        try (GgufFile g = GgufFile.open(resource("blocks.gguf"))) {
            for (String type : new String[]{"f16", "bf16", "q8_0", "q4_0", "q6_k"}) {
                Weights w = g.weights(type);
                Weights expected = g.weights(type + ".expected");
                assertThat(w.size()).as(type).isEqualTo(expected.size());
                float[] got = new float[(int) w.size()];
                w.toFloat(0, got, 0, got.length);
                for (int i = 0; i < got.length; i++) {
                    assertThat(Float.floatToIntBits(got[i])).as("%s element %d", type, i)
                            .isEqualTo(Float.floatToIntBits(expected.get(i)));
                    if (i % 97 == 0) assertThat(w.get(i)).isEqualTo(expected.get(i));
                }
            }
            assertThat(g.tensors().get("q6_k").dtype()).isEqualTo(DType.Q6_K);
        }
    }

    @Test
    void quantizerWritesTheBytesOfGgmlsReferenceQuantizers() throws Exception {
        try (GgufFile g = GgufFile.open(resource("blocks.gguf")); Arena arena = Arena.ofConfined()) {
            Weights src = g.weights("src");
            float[] x = new float[(int) src.size()];
            src.toFloat(0, x, 0, x.length);
            for (DType type : new DType[]{DType.Q8_0, DType.Q4_0}) {
                MemorySegment mine = arena.allocate(type.byteSize(x.length));
                Quantizer.quantize(type, x, 0, x.length, mine, 0);
                MemorySegment theirs = g.bytes(type.name().toLowerCase());
                assertThat(mine.byteSize()).isEqualTo(theirs.byteSize());
                for (long i = 0; i < mine.byteSize(); i++)
                    assertThat(mine.get(ValueLayout.JAVA_BYTE, i)).as("%s byte %d (block %d)", type, i, i / type.blockBytes)
                            .isEqualTo(theirs.get(ValueLayout.JAVA_BYTE, i));
            }
        }
    }

    /**
     * ggml-quants.gguf holds the bytes and dequantized values of ggml's own C code
     * (src/test/python/make_ggml_quant_fixture.py): every format decodes to ggml's floats, and the formats Unmask
     * writes quantize to ggml's bytes.
     */
    @Test
    void blockFormatsDecodeAndQuantizeExactlyAsGgmlsReferenceCode() throws Exception {
        try (GgufFile g = GgufFile.open(resource("ggml-quants.gguf")); Arena arena = Arena.ofConfined()) {
            Weights src = g.weights("src");
            float[] x = new float[(int) src.size()];
            src.toFloat(0, x, 0, x.length);
            for (DType type : new DType[]{DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q2_K, DType.Q3_K, DType.Q4_K,
                    DType.Q5_K, DType.Q6_K, DType.IQ4_NL, DType.IQ4_XS}) {
                String name = type.name().toLowerCase();
                Weights w = g.weights(name), expected = g.weights(name + ".expected");
                assertThat(g.tensors().get(name).dtype()).isEqualTo(type);
                float[] got = new float[x.length];
                w.toFloat(0, got, 0, got.length);
                for (int i = 0; i < got.length; i++) {
                    assertThat(Float.floatToIntBits(got[i])).as("%s element %d", type, i).isEqualTo(Float.floatToIntBits(expected.get(i)));
                    if (i % 101 == 0) assertThat(w.get(i)).isEqualTo(got[i]);
                }
                if (!Quantizer.writes(type)) continue;
                MemorySegment mine = arena.allocate(type.byteSize(x.length)), theirs = g.bytes(name);
                Quantizer.quantize(type, x, 0, x.length, mine, 0);
                assertThat(mine.byteSize()).isEqualTo(theirs.byteSize());
                for (long i = 0; i < mine.byteSize(); i++)
                    assertThat(mine.get(ValueLayout.JAVA_BYTE, i)).as("%s byte %d (super-block %d)", type, i, i / type.blockBytes)
                            .isEqualTo(theirs.get(ValueLayout.JAVA_BYTE, i));
            }
        }
    }

    @Test
    void tinyLladaFromGgufHasTheWeightsAndLogitsOfItsCheckpoint() throws Exception {
        sameModel("llada");
    }

    @Test
    void tinyDreamFromGgufHasTheWeightsAndLogitsOfItsCheckpoint() throws Exception {
        sameModel("dream");
    }

    @Test
    void tinyLladaMoeFromGgufHasTheWeightsAndLogitsOfItsCheckpoint() throws Exception {
        sameModel("lladamoe");
    }

    @Test
    void lladaMoeExpertsAreSlicesOfTheMappedStackedTensor() throws Exception {
        try (GgufModel g = GgufModel.open(resource("lladamoe/model.gguf"))) {
            for (String proj : new String[]{"gate", "up", "down"}) {
                MemorySegment stacked = g.file().bytes("blk.0.ffn_" + proj + "_exps.weight");
                long per = stacked.byteSize() / 4;
                for (int x = 0; x < 4; x++) {
                    Weights w = g.tensors().get("model.layers.0.mlp.experts." + x + "." + proj + "_proj.weight");
                    assertThat(w).isInstanceOf(Weights.Quantized.class);
                    MemorySegment seg = ((Weights.Quantized) w).segment();
                    assertThat(seg.address()).as("%s expert %d", proj, x).isEqualTo(stacked.address() + x * per);
                    assertThat(seg.byteSize()).isEqualTo(per);
                }
            }
            assertThat(g.infos().get("model.layers.1.mlp.experts.2.up_proj.weight").name()).isEqualTo("blk.1.ffn_up_exps.weight[2]");
            assertThat(g.config().family().describeFeedForward(g.config())).contains("mixture of 4 experts of width 32, top 2");
        }
    }

    private static void sameModel(String arch) throws Exception {
        Path dir = resource(arch);
        try (Checkpoint hf = Checkpoint.open(dir); Checkpoint gg = Checkpoint.open(dir.resolve("model.gguf"))) {
            ModelConfig c = hf.config();
            assertThat(gg.config()).isEqualTo(c);
            assertThat(gg.tensors().keySet()).containsExactlyElementsOf(hf.tensors().keySet());
            for (Map.Entry<String, Weights> e : hf.tensors().entrySet()) {
                Weights a = e.getValue(), b = gg.tensors().get(e.getKey());
                float[] fa = new float[(int) a.size()], fb = new float[(int) b.size()];
                a.toFloat(0, fa, 0, fa.length);
                b.toFloat(0, fb, 0, fb.length);
                assertThat(fb).as("%s %s", arch, e.getKey()).containsExactly(fa);
            }
            int[] ids = {0, 5, 9, 3, 3, 17, 22, 39, 3, 11};
            float[] want = Transformer.fromWeights(c, hf.tensors(), false).logits(ids, 1, ids.length, null, null, AttentionPattern.BIDIRECTIONAL);
            float[] got = Transformer.fromWeights(gg.config(), gg.tensors(), false).logits(ids, 1, ids.length, null, null, AttentionPattern.BIDIRECTIONAL);
            float scale = 0;
            for (float v : want) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < want.length; i++)
                assertThat(got[i]).as("%s logit %d", arch, i).isCloseTo(want[i], offset(1e-5f * scale));
        }
    }
}
