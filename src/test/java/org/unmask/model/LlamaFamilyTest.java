package org.unmask.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.kernels.AttentionPattern;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** The Llama family: config.json as transformers writes it, and the causal forward against the textbook one. */
class LlamaFamilyTest {

    /** A SmolLM-like config.json (fields as LlamaConfig writes them), with a list of EOS ids as Llama 3's instruct models have. */
    private static String config(String extra) {
        return """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 6, "num_key_value_heads": 2, "intermediate_size": 80, "vocab_size": 64,
                 "max_position_embeddings": 512, "rope_theta": 50000.0, "rms_norm_eps": 1e-5, "tie_word_embeddings": true,
                 "hidden_act": "silu", "attention_bias": false, "mlp_bias": false, "rope_scaling": null,
                 "bos_token_id": 1, "eos_token_id": [2, 5], "pretraining_tp": 1%s}""".formatted(extra);
    }

    @Test void readsTheFieldsTransformersWrites(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("config.json");
        Files.writeString(file, config(""));
        ModelConfig c = ModelConfig.read(file);
        assertThat(c.family()).isSameAs(LlamaFamily.INSTANCE);
        assertThat(c.family().autoregressive()).isTrue();
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.rotaryDim()).isEqualTo(8);
        assertThat(c.nKvHeads()).isEqualTo(2);
        assertThat(c.maxSequenceLength()).isEqualTo(512);
        assertThat(c.ropeTheta()).isEqualTo(50000.0);
        assertThat(c.weightTying()).isTrue();
        assertThat(c.eosTokenId()).isEqualTo(2);
        assertThat(c.padTokenId()).isEqualTo(2);
        assertThat(c.maskTokenId()).as("no mask named: EOS stands in").isEqualTo(2);
        assertThat(c.canvasMaskId()).as("the sampler's placeholder: the highest id that is not EOS, BOS or padding").isEqualTo(63);
        assertThat(c.logitShift()).isFalse();
        assertThat(GenerationDefaults.of(c).autoregressive()).isTrue();

        // written back without a mask it never had
        Path plain = tmp.resolve("plain.json");
        c.write(plain);
        assertThat(Files.readString(plain)).doesNotContain("mask_token_id");
        assertThat(ModelConfig.read(plain)).isEqualTo(c);

        Files.writeString(file, config(", \"mask_token_id\": 3"));
        ModelConfig withMask = ModelConfig.read(file);
        assertThat(withMask.maskTokenId()).isEqualTo(3);
        assertThat(withMask.canvasMaskId()).isEqualTo(3);
        // written back and read again: the same model
        Path again = tmp.resolve("again.json");
        withMask.write(again);
        assertThat(ModelConfig.read(again)).isEqualTo(withMask);
        assertThat(Files.readString(again)).contains("\"LlamaForCausalLM\"").contains("\"head_dim\" : 8");
    }

    @Test void mistralsWindowBoundsTheSequenceLength(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("config.json");
        String mistral = config("").replace("LlamaForCausalLM", "MistralForCausalLM").replace("\"llama\"", "\"mistral\"")
                .replace("\"max_position_embeddings\": 512", "\"max_position_embeddings\": 32768");
        // Mistral 7B v0.1: attention within 4,096 positions, which full attention equals up to there
        Files.writeString(file, mistral.replace("\"pretraining_tp\": 1", "\"pretraining_tp\": 1, \"sliding_window\": 4096"));
        ModelConfig v01 = ModelConfig.read(file);
        assertThat(v01.family()).isSameAs(LlamaFamily.MISTRAL);
        assertThat(v01.maxSequenceLength()).isEqualTo(4096);
        // later versions: no window
        Files.writeString(file, mistral.replace("\"pretraining_tp\": 1", "\"pretraining_tp\": 1, \"sliding_window\": null"));
        assertThat(ModelConfig.read(file).maxSequenceLength()).isEqualTo(32768);
        // MistralConfig's default window when the field is absent
        Files.writeString(file, mistral);
        assertThat(ModelConfig.read(file).maxSequenceLength()).isEqualTo(4096);
        Files.writeString(file, mistral.replace("\"pretraining_tp\": 1", "\"pretraining_tp\": 1, \"sliding_window\": 0"));
        assertThatThrownBy(() -> ModelConfig.read(file)).hasMessageContaining("'sliding_window'");
        // written back and read again: the same model, the window now its length
        Path again = tmp.resolve("again.json");
        v01.write(again);
        assertThat(ModelConfig.read(again)).isEqualTo(v01);
        assertThat(Files.readString(again)).contains("\"MistralForCausalLM\"");
    }

    @Test void refusesWhatTheEngineWouldComputeDifferently(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("config.json");
        Map<String, String> bad = Map.of(
                ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}", "'rope_scaling'",
                ", \"attention_bias\": true", "'attention_bias'",
                ", \"mlp_bias\": true", "'mlp_bias'",
                ", \"hidden_act\": \"gelu\"", "'hidden_act'",
                ", \"head_dim\": 7", "'head_dim'");
        for (var e : bad.entrySet()) {
            // a later duplicate key wins in Jackson, as in Python's json
            Files.writeString(file, config(e.getKey()));
            assertThatThrownBy(() -> ModelConfig.read(file)).as(e.getKey()).isInstanceOf(IOException.class)
                    .hasMessageContaining(file.toString()).hasMessageContaining(e.getValue());
        }
    }

    /** Llama's Hugging Face tensor names, written out here, against the LLaDA names the textbook forward reads. */
    private static Map<String, Weights> asLladaNames(Map<String, Weights> llama, int layers, boolean tied) {
        Map<String, Weights> m = new HashMap<>();
        m.put(LladaTensors.EMBEDDING, llama.get("model.embed_tokens.weight"));
        m.put(LladaTensors.FINAL_NORM, llama.get("model.norm.weight"));
        if (!tied) m.put(LladaTensors.LM_HEAD, llama.get("lm_head.weight"));
        String[][] pairs = {{"input_layernorm.weight", "attn_norm"}, {"self_attn.q_proj.weight", "q_proj"},
                {"self_attn.k_proj.weight", "k_proj"}, {"self_attn.v_proj.weight", "v_proj"}, {"self_attn.o_proj.weight", "attn_out"},
                {"post_attention_layernorm.weight", "ff_norm"}, {"mlp.gate_proj.weight", "ff_proj"},
                {"mlp.up_proj.weight", "up_proj"}, {"mlp.down_proj.weight", "ff_out"}};
        for (int l = 0; l < layers; l++)
            for (String[] p : pairs) m.put(LladaTensors.block(l, p[1]), llama.get("model.layers." + l + "." + p[0]));
        return m;
    }

    @Test void causalLogitsMatchTheTextbookForward() {
        for (boolean tied : new boolean[]{false, true}) {
            ModelConfig c = new ModelConfig(LlamaFamily.INSTANCE, 24, 2, 4, 2, 6, 40, 32, 32, 64, 10000.0, 6, 1e-5,
                    false, false, tied, false, 3, 2, 2, 1);
            Transformer m = LladaModelTest.spread(c, 41);
            assertThat(m.tensors()).containsKey("model.layers.1.mlp.down_proj.weight");
            int T = 7;
            int[] ids = LladaModelTest.randomIds(new Random(42), T, 32);
            float[] got = m.logits(ids, 1, T, null, null, AttentionPattern.CAUSAL);
            double[][] ref = ReferenceForwardTest.forward(c, asLladaNames(m.tensors(), 2, tied), ids, null, AttentionPattern.CAUSAL);
            for (int t = 0; t < T; t++)
                for (int v = 0; v < 32; v++)
                    assertThat((double) got[t * 32 + v]).as("tied %s, t %d, v %d", tied, t, v).isCloseTo(ref[t][v], offset(2e-4));
            // a causal model's output at t does not depend on what follows
            int[] changed = ids.clone();
            changed[T - 1] = (changed[T - 1] + 1) % 32;
            float[] other = m.logits(changed, 1, T, null, null, AttentionPattern.CAUSAL);
            for (int i = 0; i < (T - 1) * 32; i++) assertThat(other[i]).isEqualTo(got[i]);
        }
    }

    @Test void aCausalLmThatNamesNoMaskGeneratesWhatItsLogitsSay() {
        // as TinyLlama's or Qwen2.5's config.json: no mask_token_id, so EOS stands in, and the sampler needs another id
        ModelConfig c = new ModelConfig(LlamaFamily.INSTANCE, 24, 2, 4, 2, 6, 40, 32, 32, 64, 10000.0, 6, 1e-5,
                false, false, false, false, 2, 2, 2, 1);
        assertThat(c.canvasMaskId()).isEqualTo(31);
        Transformer m = LladaModelTest.spread(c, 43);
        var model = org.unmask.api.UnmaskModel.ofAutoregressive(m, java.util.Optional.empty());
        int[] prompt = {1, 5, 9, 14};
        int[] got = model.generate(prompt, model.sampling().genLength(6).temperature(0), null).tokens();
        // greedy decoding by hand: the argmax of the last position's causal logits, appended, until EOS; the sampler
        // never writes its placeholder (the position would read as still to generate), so the argmax skips it
        java.util.List<Integer> seq = new java.util.ArrayList<>();
        for (int id : prompt) seq.add(id);
        for (int k = 0; k < 6; k++) {
            int[] ids = seq.stream().mapToInt(Integer::intValue).toArray();
            float[] logits = m.logits(ids, 1, ids.length, null, null, AttentionPattern.CAUSAL);
            int best = 0;
            for (int v = 1; v < 31; v++) if (logits[(ids.length - 1) * 32 + v] > logits[(ids.length - 1) * 32 + best]) best = v;
            assertThat(got[k]).as("token %d of %s", k, java.util.Arrays.toString(got)).isEqualTo(best);
            if (best == c.eosTokenId()) break;
            seq.add(best);
        }
    }

    @Test void qwen2IsDreamsBlockUnderACausalMask(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("qwen2");
        Map<String, float[]> values = DreamCheckpoints.writeQwen2(dir, DreamReferenceTest.S, 11);
        ModelConfig c = ModelConfig.read(dir.resolve("config.json"));
        assertThat(c.family()).isSameAs(LlamaFamily.QWEN2);
        assertThat(c.qkvBias()).isTrue();
        assertThat(c.family().autoregressive()).isTrue();
        int[] ids = {3, 17, 42, 8, 0, 61, 5};
        try (var ckpt = org.unmask.model.io.Checkpoint.open(dir)) {
            float[] got = c.family().engine(c, ckpt.tensors(), false).logits(ids, 1, ids.length, null, null, AttentionPattern.CAUSAL);
            // Dream's equations with blocks of one token: each query sees itself and what precedes it
            double[][] ref = DreamReferenceTest.forward(DreamReferenceTest.S, values, ids, null, 1);
            int v = DreamReferenceTest.S.vocab();
            for (int t = 0; t < ids.length; t++)
                for (int x = 0; x < v; x++)
                    assertThat((double) got[t * v + x]).as("t %d, v %d", t, x).isCloseTo(ref[t][x], offset(2e-4));
        }
    }
}
