package org.unmask.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.ModelConfig;
import org.unmask.model.Transformer;
import org.unmask.model.kernels.AttentionPattern;
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
        for (String arch : List.of("llada", "dream")) {
            Path dir = GgufFixturesTest.resource(arch);
            for (DType type : new DType[]{DType.F32, DType.Q8_0, DType.Q4_0}) {
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
                            assertThat(fb).as(e.getKey()).containsExactly(fa);
                        } else {
                            // each Hugging Face row, quantized on its own, must be what the file holds for that row
                            MemorySegment q = arena.allocate(stored.byteSize(fa.length));
                            Quantizer.quantize(stored, fa, 0, fa.length, q, 0);
                            float[] fq = new float[fa.length];
                            Weights.mapped(q, stored).toFloat(0, fq, 0, fq.length);
                            assertThat(fb).as("%s %s", type, e.getKey()).containsExactly(fq);
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
        }
    }

    @Test
    void lmHeadOfQ4_0IsQ8_0AndNormsAreF32() {
        assertThat(GgufExport.storage("output.weight", new long[]{40, 64}, DType.Q4_0, false)).isEqualTo(DType.Q8_0);
        assertThat(GgufExport.storage("token_embd.weight", new long[]{40, 64}, DType.Q4_0, false)).isEqualTo(DType.Q4_0);
        assertThat(GgufExport.storage("token_embd.weight", new long[]{40, 64}, DType.Q4_0, true)).isEqualTo(DType.Q8_0);
        assertThat(GgufExport.storage("blk.0.attn_norm.weight", new long[]{64}, DType.Q4_0, false)).isEqualTo(DType.F32);
        assertThat(GgufExport.storage("blk.0.ffn_down.weight", new long[]{64, 48}, DType.Q8_0, false)).isEqualTo(DType.F16);
    }

    @Test
    void permutationPutsHuggingFaceRowsAtPairwisePositions() {
        // head size 8: HF rows 0..3 (first halves) go to even rows, 4..7 to odd rows; the second head follows
        long[] got = new long[16];
        for (int r = 0; r < 16; r++) got[r] = GgufLayout.ggufRow(r, 8);
        assertThat(got).containsExactly(0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15);
    }

    @Test
    void tokenizerSurvivesTheMetadata() throws Exception {
        for (String name : List.of("bpe-llama3.json", "bpe-qwen.json")) {
            Path json = Path.of(GgufReadWriteTest.class.getResource("/tokenizers/" + name).toURI());
            HfTokenizer original = HfTokenizer.load(json);
            GgufWriter w = new GgufWriter();
            w.putString("general.architecture", "llada");
            w.putU32("tokenizer.ggml.bos_token_id", 1);
            assertThat(GgufTokenizer.write(w, new ObjectMapper().readTree(json.toFile()), original.vocabSize() + 3, false)).isTrue();
            Path f = tmp.resolve(name + ".gguf");
            w.write(f);
            try (GgufFile g = GgufFile.open(f)) {
                assertThat(g.string("tokenizer.ggml.pre")).isEqualTo(name.contains("qwen") ? "qwen2" : "llama-bpe");
                HfTokenizer back = GgufTokenizer.read(g).orElseThrow();
                String text;
                try (InputStream in = GgufReadWriteTest.class.getResourceAsStream("/text/sample.txt")) {
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                text += " <|mdm_mask|> 12345 don't";
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
        ByteBuffer.wrap(type).order(ByteOrder.LITTLE_ENDIAN).putInt(at, 12);
        Path t = Files.write(tmp.resolve("t.gguf"), type);
        assertThatThrownBy(() -> GgufFile.open(t)).hasMessageContaining("tensor 'a'").hasMessageContaining("Q4_K");
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
        GgufExport.write(dir, DType.Q8_0, full, null);
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
        Path dir = tmp.resolve("block");
        java.nio.file.Files.createDirectories(dir);
        try (var files = java.nio.file.Files.list(GgufFixturesTest.resource("llada"))) {
            for (Path f : files.toList()) java.nio.file.Files.copy(f, dir.resolve(f.getFileName().toString()));
        }
        ModelConfig.read(dir.resolve("config.json")).withBlockSize(4).write(dir.resolve("config.json"));
        Path out = tmp.resolve("block.gguf");
        GgufExport.write(dir, DType.Q8_0, out, null);
        try (Checkpoint gg = Checkpoint.open(out)) {
            assertThat(gg.config().blockSize()).isEqualTo(4);
            assertThat(gg.config()).isEqualTo(ModelConfig.read(dir.resolve("config.json")));
        }
    }

    @Test
    void ggufModelLoadsThroughTheCheckpointDispatchOnly() throws Exception {
        Path f = tmp.resolve("m.gguf");
        GgufExport.write(GgufFixturesTest.resource("dream"), DType.Q4_0, f, null);
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
