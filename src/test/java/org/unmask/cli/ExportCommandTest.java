package org.unmask.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.ModelConfig;
import org.unmask.model.Transformer;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.tensor.DType;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ExportCommandTest {
    @Test void exportsBf16WeightsAndTheTokenizerWithoutTrainingStateAndKeepsTheCard(@TempDir Path tmp) throws Exception {
        Path run = DemoCommandTest.shippedStyleModel(tmp.resolve("run"));
        ModelConfig c = ModelConfig.read(run.resolve("config.json"));
        Transformer m = Transformer.randomInit(c, 9);
        Checkpoint.save(run, c, m.tensors(), DType.F32, 1L << 30);   // a run saves F32 (tokenizer.json is carried over)
        Files.writeString(run.resolve("optimizer.safetensors"), "not shipped");
        Files.writeString(run.resolve("trainer_state.json"), "{}");
        Path out = tmp.resolve("models/x");
        Files.createDirectories(out);
        Files.writeString(out.resolve("README.md"), "# card");

        StringWriter so = new StringWriter(), se = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(so));
        cl.setErr(new PrintWriter(se));
        assertThat(cl.execute("export", "--model", run.toString(), "--out", out.toString())).as(se.toString()).isZero();
        assertThat(so.toString()).contains("bf16").contains("MB on disk");
        try (var files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder(
                    "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md");
        }
        assertThat(Files.readString(out.resolve("README.md"))).isEqualTo("# card");
        assertThat(ModelConfig.read(out.resolve("config.json")).logitShift()).isTrue();
        var tc = new ObjectMapper().readTree(out.resolve("tokenizer_config.json").toFile());
        assertThat(tc.get("mask_token").asText()).isEqualTo("<|mdm_mask|>");
        assertThat(tc.get("eos_token").asText()).isEqualTo("<|endoftext|>");
        assertThat(out.resolve("model.safetensors").toFile().length()).isLessThan(run.resolve("model.safetensors").toFile().length() / 2 + 4096);
        // every weight is the F32 value rounded to the nearest bf16 (ties to even)
        try (Checkpoint shipped = Checkpoint.open(out)) {
            for (Map.Entry<String, float[]> e : org.unmask.train.RunCheckpoint.snapshot(m).entrySet()) {
                float[] got = new float[e.getValue().length];
                shipped.tensors().get(e.getKey()).toFloat(0, got, 0, got.length);
                for (int i = 0; i < got.length; i++) assertThat(got[i]).as(e.getKey()).isEqualTo(bf16(e.getValue()[i]));
            }
        }
    }

    @Test void aGgufFileBecomesAHuggingFaceDirectoryOfItsDequantizedWeights(@TempDir Path tmp) throws Exception {
        Path dir = DemoCommandTest.shippedStyleModel(tmp.resolve("model"));
        Files.writeString(dir.resolve("generation_config.json"), "{\"unmask\": {\"block_length\": 4, \"temperature\": 0.9}}");
        // the GGUF alone in its folder: its tokenizer and settings come from its metadata
        Path gguf = Files.createDirectories(tmp.resolve("alone")).resolve("m.gguf");
        org.unmask.model.io.GgufExport.write(dir, org.unmask.model.io.GgufFileType.Q8_0, gguf, null);
        Path out = tmp.resolve("back");
        StringWriter so = new StringWriter(), se = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(so));
        cl.setErr(new PrintWriter(se));
        assertThat(cl.execute("export", "--model", gguf.toString(), "--out", out.toString(), "--dtype", "f32")).as(se.toString()).isZero();
        try (var files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder(
                    "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json");
        }
        try (Checkpoint g = Checkpoint.open(gguf); Checkpoint back = Checkpoint.open(out)) {
            assertThat(back.config()).isEqualTo(ModelConfig.read(dir.resolve("config.json")));
            assertThat(back.tensors().keySet()).containsExactlyInAnyOrderElementsOf(g.tensors().keySet());
            // every weight is the file's dequantized value, in Hugging Face order (LLaDA's Q and K rows unpermuted)
            for (var e : g.tensors().entrySet()) {
                float[] want = new float[(int) e.getValue().size()], got = new float[want.length];
                e.getValue().toFloat(0, want, 0, want.length);
                back.tensors().get(e.getKey()).toFloat(0, got, 0, got.length);
                assertThat(got).as(e.getKey()).containsExactly(want);
            }
        }
        var original = org.unmask.text.HfTokenizer.load(dir.resolve("tokenizer.json"));
        var shipped = org.unmask.text.HfTokenizer.load(out.resolve("tokenizer.json"));
        String text = "The jury said, Let there be light: and there was light.";
        assertThat(shipped.encode(text, false)).containsExactly(original.encode(text, false));
        var d = org.unmask.api.UnmaskModel.load(out).generationDefaults();
        assertThat(d.blockLength()).isEqualTo(4);
        assertThat(d.temperature()).isEqualTo(0.9);
    }

    private static float bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return Float.intBitsToFloat(((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16) << 16);
    }
}
