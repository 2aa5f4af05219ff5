package org.unmask.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.api.UnmaskModel;
import org.unmask.data.Corpora;
import org.unmask.data.TokenFile;
import org.unmask.model.LladaFamily;
import org.unmask.model.LlamaFamily;
import org.unmask.model.ModelConfig;
import org.unmask.model.TrainableModel;
import org.unmask.model.Transformer;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.GgufFile;
import org.unmask.model.io.SafetensorsFile;
import org.unmask.model.kernels.AttentionPattern;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;
import org.unmask.text.HfTokenizer;
import org.unmask.train.RunCheckpoint;
import org.unmask.train.WarmStart;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An autoregressive run leaves Unmask as the Llama model it is: {@code export} writes {@code LlamaForCausalLM},
 * {@code quantize} GGUF's {@code llama} architecture, and both load back as causal models computing what the run
 * computes; a diffusion run may start from the exported directory.
 */
class AutoregressiveExportTest {

    /** An AR run as {@code train --objective ar} leaves it: LLaDA layout, F32 weights, the objective in its state. */
    private static Path arRun(Path dir) throws Exception {
        DemoCommandTest.shippedStyleModel(dir);
        ModelConfig c = ModelConfig.read(dir.resolve("config.json")).withLogitShift(false);
        Checkpoint.save(dir, c, Transformer.randomInit(c, 21).tensors(), DType.F32, 1L << 30);
        Files.writeString(dir.resolve("trainer_state.json"), "{\"format\": 1, \"step\": 7, \"objective\": \"ar\"}");
        return dir;
    }

    /** Runs a command in process; its standard output (a failure shows its standard error). */
    static String run(String... args) {
        StringWriter so = new StringWriter(), se = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(so));
        cl.setErr(new PrintWriter(se));
        assertThat(cl.execute(args)).as(se.toString()).isZero();
        return so.toString();
    }

    private static final String TEXT = "And God said, Let there be light: and there was light.\n\nIn the beginning was the Word.\n\n";

    /** Two steps of a diffusion run started from {@code model} on a small corpus; the run's directory. */
    private static Path adaptTwoSteps(Path model, Path tmp, String name) throws Exception {
        Path corpus = Files.writeString(tmp.resolve("corpus.txt"), TEXT.repeat(40));
        Path run = tmp.resolve(name);
        run("train", "--corpus", corpus.toString(), "--init-from", model.toString(), "--out", run.toString(), "--max-steps", "2",
                "--batch", "2", "--seq-len", "32", "--val-windows", "2", "--val-grid", "2", "--cache", tmp.resolve("cache").toString());
        return run;
    }

    private static float[] causalLogits(Path model, int[] ids) throws Exception {
        try (Checkpoint ckpt = Checkpoint.open(model)) {
            TrainableModel m = ckpt.config().family().engine(ckpt.config(), ckpt.tensors(), false);
            return m.logits(ids, 1, ids.length, null, null, AttentionPattern.CAUSAL);
        }
    }

    @Test void exportWritesALlamaModelThatComputesWhatTheRunComputes(@TempDir Path tmp) throws Exception {
        Path runDir = arRun(tmp.resolve("run")), out = tmp.resolve("llama");
        assertThat(run("export", "--model", runDir.toString(), "--out", out.toString(), "--dtype", "f32"))
                .contains("LlamaForCausalLM");
        assertThat(Files.exists(out.resolve("trainer_state.json"))).as("the family says it is causal").isFalse();
        String config = Files.readString(out.resolve("config.json"));
        assertThat(config).contains("\"LlamaForCausalLM\"").contains("\"tie_word_embeddings\" : true")
                .contains("\"mask_token_id\"");
        try (Checkpoint ckpt = Checkpoint.open(out)) {
            assertThat(ckpt.tensors()).containsKeys("model.embed_tokens.weight", "model.layers.1.self_attn.q_proj.weight",
                    "model.layers.1.mlp.down_proj.weight", "model.norm.weight");
        }
        int[] ids = {5, 9, 17, 33, 2, 40, 41};
        assertThat(causalLogits(out, ids)).containsExactly(causalLogits(runDir, ids));
        UnmaskModel loaded = UnmaskModel.load(out);
        assertThat(loaded.autoregressive()).isTrue();
        assertThat(loaded.config().family()).isSameAs(LlamaFamily.INSTANCE);
        // left-to-right generation at temperature 0 writes the same tokens as the run itself
        var a = UnmaskModel.load(runDir).generate("In the beginning", UnmaskModel.load(runDir).sampling().genLength(8), null);
        var b = loaded.generate("In the beginning", loaded.sampling().genLength(8), null);
        assertThat(b.tokens()).containsExactly(a.tokens());
        // the summary names the cache a causal model gets: the exact one (blocks of one token never change)
        StringWriter so = new StringWriter(), se = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(so));
        cl.setErr(new PrintWriter(se));
        assertThat(cl.execute("generate", "--model", out.toString(), "--prompt", "In the beginning", "--gen-length", "8"))
                .as(se.toString()).isZero();
        assertThat(se.toString()).contains("8 steps, 8 forward passes").contains("cache exact");
        // `logits` gives a causal LM's Hugging Face output: causal
        Path logits = tmp.resolve("logits.safetensors");
        run("logits", "--model", out.toString(), "--ids", "5 9 17 33 2 40 41", "--out", logits.toString());
        try (SafetensorsFile f = SafetensorsFile.open(logits)) {
            assertThat(f.readF32("logits")).containsExactly(causalLogits(runDir, ids));
        }
    }

    @Test void quantizeWritesGgufsLlamaArchitectureInLlamaCppsRowOrder(@TempDir Path tmp) throws Exception {
        Path runDir = arRun(tmp.resolve("run")), gguf = tmp.resolve("ar.gguf");
        assertThat(run("quantize", "--model", runDir.toString(), "--type", "f32", "--out", gguf.toString()))
                .contains("architecture llama");
        ModelConfig c = ModelConfig.read(runDir.resolve("config.json"));
        int hd = c.headDim();
        try (GgufFile g = GgufFile.open(gguf); Checkpoint run = Checkpoint.open(runDir)) {
            assertThat(g.string("general.architecture")).isEqualTo("llama");
            assertThat(g.metadata()).doesNotContainKeys("llama.attention.causal", "diffusion.shift_logits");
            // llama.cpp's converter permutes Q and K: GGUF row 2i+s of a head holds Hugging Face row s·hd/2+i
            Weights q = g.weights("blk.1.attn_q.weight"), hfQ = run.tensors().get(LladaFamily.INSTANCE.layerTensor(1, org.unmask.model.TensorRole.Q));
            int d = c.dModel();
            for (int head = 0; head < c.nHeads(); head++)
                for (int i = 0; i < hd / 2; i++)
                    for (int s = 0; s < 2; s++)
                        for (int k = 0; k < d; k++)
                            assertThat(q.get((long) (head * hd + 2 * i + s) * d + k))
                                    .isEqualTo(hfQ.get((long) (head * hd + s * hd / 2 + i) * d + k));
        }
        int[] ids = {5, 9, 17, 33, 2, 40, 41};
        assertThat(causalLogits(gguf, ids)).containsExactly(causalLogits(runDir, ids));
        UnmaskModel loaded = UnmaskModel.load(gguf);
        assertThat(loaded.autoregressive()).isTrue();
        assertThat(loaded.config().maskTokenId()).isEqualTo(c.maskTokenId());
    }

    @Test void aDiffusionRunStartsFromTheExportedLlamaModel(@TempDir Path tmp) throws Exception {
        Path runDir = arRun(tmp.resolve("run")), out = tmp.resolve("llama");
        run("export", "--model", runDir.toString(), "--out", out.toString(), "--dtype", "f32");
        WarmStart fromLlama = WarmStart.of(out), fromRun = WarmStart.of(runDir);
        assertThat(fromLlama.fromAr()).isTrue();
        assertThat(fromLlama.config()).isEqualTo(fromRun.config());
        assertThat(fromLlama.config().family()).isSameAs(LladaFamily.INSTANCE);
        Transformer a = Transformer.randomInit(fromLlama.config(), 1), b = Transformer.randomInit(fromRun.config(), 2);
        fromLlama.loadInto(a);
        fromRun.loadInto(b);
        Map<String, float[]> got = RunCheckpoint.snapshot(a), want = RunCheckpoint.snapshot(b);
        assertThat(got.keySet()).isEqualTo(want.keySet());
        for (String name : want.keySet()) assertThat(got.get(name)).as(name).containsExactly(want.get(name));

        // the mask and the end of text are the ones config.json names, whatever the tokenizer calls them (a foreign
        // model has no <|mdm_mask|>, and Llama's end of text is </s>)
        Path tokFile = out.resolve("tokenizer.json");
        Files.writeString(tokFile, Files.readString(tokFile).replace("<|mdm_mask|>", "<|unused_0|>").replace("<|endoftext|>", "</s>"));
        Path adapted = adaptTwoSteps(out, tmp, "adapted");
        ModelConfig diffusion = ModelConfig.read(adapted.resolve("config.json"));
        assertThat(diffusion.family()).isSameAs(LladaFamily.INSTANCE);
        assertThat(diffusion.logitShift()).as("it keeps predicting the next token").isTrue();
        assertThat(diffusion.maskTokenId()).isEqualTo(fromRun.config().maskTokenId());
        int eos = fromRun.config().eosTokenId();
        assertThat(diffusion.eosTokenId()).isEqualTo(eos);
        try (var files = Files.list(tmp.resolve("cache"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".tokens")).toList())
                try (TokenFile t = TokenFile.open(f)) {
                    assertThat(t.separatorId()).as("documents end with config.json's eos_token_id").isEqualTo(eos);
                }
        }
        // eval scores the text as training saw it: each document's tokens and the end of text
        HfTokenizer tok = HfTokenizer.load(tokFile);
        int tokens = 0;
        for (String doc : Corpora.documents(tmp.resolve("corpus.txt").toString(), null)) tokens += tok.encode(doc, false).length + 1;
        String scored = run("eval", "--model", adapted.toString(), "--corpus", tmp.resolve("corpus.txt").toString(),
                "--max-chunks", "1", "--grid", "2", "--seq-len", "32");
        double bytes = Corpora.textBytes(Corpora.documents(tmp.resolve("corpus.txt").toString(), null));
        assertThat(scored).contains(String.format(java.util.Locale.ROOT, "tokens_per_byte %.6f", tokens / bytes));

        // a Llama model that names no mask token cannot start a diffusion run
        String config = Files.readString(out.resolve("config.json")).replaceAll("\"mask_token_id\" : \\d+,", "");
        Files.writeString(out.resolve("config.json"), config);
        assertThatThrownBy(() -> WarmStart.of(out))
                .hasMessageContaining(out.resolve("config.json").toString()).hasMessageContaining("mask_token_id");
    }

    /**
     * A Qwen2ForCausalLM model (Qwen2.5's class) goes to GGUF's qwen2 architecture and back unchanged, and starts a
     * diffusion run in Dream's layout, as Dream itself started from Qwen2.5: q/k/v biases trained, the mask from its
     * config.json, the run saved as a DreamModel directory.
     */
    @Test void aQwen2ModelQuantizesAndStartsADreamRun(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("qwen2");
        var tok = org.unmask.model.DreamCheckpoints.writeTokenizer(dir, java.util.List.of(
                "And God said, Let there be light: and there was light. In the beginning was the Word."), 270);
        int mask = tok.tokenId("<|mask|>").orElseThrow();
        var shape = new org.unmask.model.DreamCheckpoints.Shape(32, 2, 4, 2, 48, 280, 1_000_000.0, mask, 0);
        org.unmask.model.DreamCheckpoints.writeQwen2(dir, shape, 13);
        int[] ids = {5, 9, 17, 33, 2, 40, 41};

        Path gguf = tmp.resolve("qwen2.gguf");
        run("quantize", "--model", dir.toString(), "--type", "f32", "--out", gguf.toString());
        try (GgufFile g = GgufFile.open(gguf)) {
            assertThat(g.string("general.architecture")).isEqualTo("qwen2");
            assertThat(g.tensors()).containsKey("blk.0.attn_q.bias");
        }
        assertThat(causalLogits(gguf, ids)).containsExactly(causalLogits(dir, ids));
        assertThat(UnmaskModel.load(gguf).autoregressive()).isTrue();

        // config.json names no mask: training refuses, naming the field; with it, a Dream run starts
        assertThatThrownBy(() -> WarmStart.of(dir)).hasMessageContaining("mask_token_id");
        String config = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), config.replaceFirst("\\{", "{\"mask_token_id\": " + mask + ", "));
        WarmStart start = WarmStart.of(dir);
        assertThat(start.fromAr()).isTrue();
        assertThat(start.config().family()).isSameAs(org.unmask.model.DreamFamily.INSTANCE);
        Path adapted = adaptTwoSteps(dir, tmp, "dream-run");
        ModelConfig trained = ModelConfig.read(adapted.resolve("config.json"));
        assertThat(trained.family()).isSameAs(org.unmask.model.DreamFamily.INSTANCE);
        assertThat(Files.readString(adapted.resolve("config.json"))).contains("\"DreamModel\"");
        assertThat(trained.maskTokenId()).isEqualTo(mask);
        // the biases were trained: they moved from the values the run started with
        try (Checkpoint before = Checkpoint.open(dir); Checkpoint after = Checkpoint.open(adapted)) {
            Weights b0 = before.tensors().get("model.layers.0.self_attn.q_proj.bias"), b1 = after.tensors().get("model.layers.0.self_attn.q_proj.bias");
            boolean moved = false;
            for (int i = 0; i < b0.size(); i++) moved |= b0.get(i) != b1.get(i);
            assertThat(moved).isTrue();
        }
        assertThat(UnmaskModel.load(adapted).autoregressive()).as("a diffusion model now").isFalse();
    }

    /** A causal LM's config.json trains with the AR objective in its own layout, and a diffusion objective is refused. */
    @Test void aQwen2ConfigTrainsAutoregressivelyInItsOwnLayout(@TempDir Path tmp) throws Exception {
        Path tokDir = tmp.resolve("tok");
        DemoCommandTest.shippedStyleModel(tokDir);
        Path config = Files.writeString(tmp.resolve("qwen2.json"), """
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 32, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 48, "vocab_size": 300,
                 "max_position_embeddings": 64, "tie_word_embeddings": true, "eos_token_id": 0}""");
        Path corpus = Files.writeString(tmp.resolve("corpus.txt"), TEXT.repeat(40));
        String[] common = {"train", "--corpus", corpus.toString(), "--config", config.toString(), "--tokenizer",
                tokDir.resolve("tokenizer.json").toString(), "--max-steps", "2", "--batch", "2", "--seq-len", "32",
                "--val-windows", "2", "--cache", tmp.resolve("cache").toString()};
        Path ar = tmp.resolve("ar");
        String[] arArgs = java.util.Arrays.copyOf(common, common.length + 4);
        arArgs[common.length] = "--objective";
        arArgs[common.length + 1] = "ar";
        arArgs[common.length + 2] = "--out";
        arArgs[common.length + 3] = ar.toString();
        run(arArgs);
        assertThat(ModelConfig.read(ar.resolve("config.json")).family()).isSameAs(LlamaFamily.QWEN2);
        try (Checkpoint ckpt = Checkpoint.open(ar)) {
            assertThat(ckpt.tensors()).containsKey("model.layers.1.self_attn.v_proj.bias");
        }
        // exported, it stays a Qwen2 model
        Path out = tmp.resolve("exported");
        assertThat(run("export", "--model", ar.toString(), "--out", out.toString())).contains("Qwen2ForCausalLM");

        StringWriter so = new StringWriter(), se = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(so));
        cl.setErr(new PrintWriter(se));
        String[] diffArgs = java.util.Arrays.copyOf(common, common.length + 2);
        diffArgs[common.length] = "--out";
        diffArgs[common.length + 1] = tmp.resolve("diff").toString();
        assertThat(cl.execute(diffArgs)).isNotZero();
        assertThat(se.toString()).contains("describes a causal LM (Qwen2ForCausalLM)").contains("--objective ar");
    }
}
