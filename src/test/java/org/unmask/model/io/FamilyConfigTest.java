package org.unmask.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.unmask.model.DreamCheckpoints;
import org.unmask.model.DreamFamily;
import org.unmask.model.LladaFamily;
import org.unmask.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which family a config.json is, Dream's fields, and errors that name the file, the field and the tensor. */
class FamilyConfigTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    private Path dream(Consumer<ObjectNode> edit) throws IOException {
        Path dir = tmp.resolve("dream");
        DreamCheckpoints.write(dir, DreamCheckpoints.TINY, true, 3);
        ObjectNode c = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        edit.accept(c);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
        return dir;
    }

    @Test void dreamsReleasedFieldsMapOntoTheEngine() throws IOException {
        ModelConfig c = ModelConfig.read(dream(n -> {}).resolve("config.json"));
        assertThat(c.family()).isSameAs(DreamFamily.INSTANCE);
        assertThat(c.dModel()).isEqualTo(32);
        assertThat(c.nLayers()).isEqualTo(2);
        assertThat(c.nHeads()).isEqualTo(4);
        assertThat(c.nKvHeads()).isEqualTo(2);
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.rotaryDim()).isEqualTo(8);
        assertThat(c.mlpHiddenSize()).isEqualTo(48);
        assertThat(c.vocabSize()).isEqualTo(64);
        assertThat(c.embeddingSize()).isEqualTo(64);
        assertThat(c.maxSequenceLength()).isEqualTo(131072);
        assertThat(c.ropeTheta()).isEqualTo(1e6);
        assertThat(c.rmsNormEps()).isEqualTo(1e-6);
        assertThat(c.qkvBias()).isTrue();
        assertThat(c.qkNorm()).isFalse();
        assertThat(c.weightTying()).isFalse();
        assertThat(c.logitShift()).isTrue();
        assertThat(c.maskTokenId()).isEqualTo(63);
        assertThat(c.eosTokenId()).isZero();
        assertThat(c.padTokenId()).isZero();
        assertThat(c.bosTokenIdOrNull()).isZero();
        // model_type alone selects the family too, and writing then reading gives the same config
        ModelConfig byType = ModelConfig.read(dream(n -> n.remove("architectures")).resolve("config.json"));
        assertThat(byType).isEqualTo(c);
        Path again = tmp.resolve("again.json");
        c.write(again);
        assertThat(ModelConfig.read(again)).isEqualTo(c);
    }

    @Test void theDream7bPresetHasQwen25_7bsParameterCount() {
        ModelConfig c = ModelConfig.preset("dream-7b");
        // Qwen2.5-7B's published count; Dream-v0-7B keeps its shapes
        assertThat(c.parameterCount()).isEqualTo(7_615_616_512L);
        assertThat(c.family()).isSameAs(DreamFamily.INSTANCE);
        assertThat(org.unmask.model.ModelTensors.expectedShapes(c)).hasSize(1 + 28 * 12 + 2)
                .containsKey("model.layers.27.self_attn.k_proj.bias");
    }

    @Test void anUnknownArchitectureIsNamed() throws IOException {
        Path f = tmp.resolve("config.json");
        // (LLaDA-MoE was the example here until it became a family)
        Files.writeString(f, "{\"architectures\": [\"SDARForCausalLM\"], \"model_type\": \"sdar\", \"hidden_size\": 8}");
        assertThatThrownBy(() -> ModelConfig.read(f)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(f + ": architectures [\"SDARForCausalLM\"] (model_type \"sdar\") is not a model family")
                .hasMessageContaining("LLaDAModelLM").hasMessageContaining("DreamModel");
        Files.writeString(f, "{\"model_type\": \"qwen3\", \"hidden_size\": 8}");
        assertThatThrownBy(() -> ModelConfig.read(f)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(f + ": model_type \"qwen3\" is not a model family");
        Files.writeString(f, "{\"architectures\": \"DreamModel\"}");
        assertThatThrownBy(() -> ModelConfig.read(f)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(f + ": field 'architectures' must be a list");
    }

    @Test void aConfigWithoutArchitectureOrTypeIsLladas() throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, "{\"d_model\": 64, \"n_layers\": 2, \"n_heads\": 4, \"mlp_hidden_size\": 8, \"vocab_size\": 10,"
                + " \"rope_theta\": 10000, \"rms_norm_eps\": 1e-5, \"mask_token_id\": 1, \"eos_token_id\": 0}");
        assertThat(ModelConfig.read(f).family()).isSameAs(LladaFamily.INSTANCE);
    }

    private static Arguments bad(String field, String expected, Consumer<ObjectNode> edit) {
        return Arguments.of(field, expected, edit);
    }

    /** Values wrong in themselves: read rejects them by Dream's field name. */
    static Stream<Arguments> badDreamValues() {
        return Stream.of(
                bad("hidden_size", "must be a number", n -> n.put("hidden_size", "wide")),
                bad("num_attention_heads", "must divide hidden_size (32)", n -> n.put("num_attention_heads", 5)),
                bad("num_attention_heads", "odd head size", n -> n.put("num_attention_heads", 32)),
                bad("num_key_value_heads", "must divide num_attention_heads (4)", n -> n.put("num_key_value_heads", 3)),
                bad("num_hidden_layers", "must be positive", n -> n.put("num_hidden_layers", 0)),
                bad("intermediate_size", "must be positive", n -> n.put("intermediate_size", -48)),
                bad("vocab_size", "32-bit", n -> n.put("vocab_size", 3_000_000_000L)),
                bad("mask_token_id", "missing field", n -> n.remove("mask_token_id")),
                bad("mask_token_id", "outside the embedding [0, 64)", n -> n.put("mask_token_id", 64)),
                bad("rope_theta", "positive", n -> n.put("rope_theta", 0)),
                bad("rms_norm_eps", "must be a number", n -> n.put("rms_norm_eps", "tiny")),
                bad("hidden_act", "\"gelu\" is not supported", n -> n.put("hidden_act", "gelu")),
                bad("rope_scaling", "not supported", n -> n.putObject("rope_scaling").put("type", "yarn")),
                bad("use_sliding_window", "not supported", n -> n.put("use_sliding_window", true)),
                bad("tie_word_embeddings", "true or false", n -> n.put("tie_word_embeddings", "no")));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("badDreamValues")
    void badDreamFieldsNameTheFileAndTheField(String field, String expected, Consumer<ObjectNode> edit) throws IOException {
        Path dir = dream(edit);
        for (var open : java.util.List.<ThrowingOpen>of(d -> ModelConfig.read(d.resolve("config.json")), Checkpoint::open)) {
            assertThatThrownBy(() -> open.run(dir)).isInstanceOf(IOException.class)
                    .hasMessageStartingWith(dir.resolve("config.json") + ": ")
                    .hasMessageContaining(field).hasMessageContaining(expected);
        }
    }

    interface ThrowingOpen { Object run(Path dir) throws Exception; }

    /** Values plausible in themselves that the tensors contradict: the field and the tensor are named. */
    static Stream<Arguments> dreamValuesTheTensorsContradict() {
        return Stream.of(
                bad("field 'num_hidden_layers' = 5", "missing tensor 'model.layers.2.input_layernorm.weight'",
                        n -> n.put("num_hidden_layers", 5)),
                bad("field 'vocab_size' = 80", "tensor 'model.embed_tokens.weight' in model-00001-of-00002.safetensors has shape [64, 32]",
                        n -> n.put("vocab_size", 80)),
                bad("field 'hidden_size' = 64", "tensor 'model.embed_tokens.weight' in model-00001-of-00002.safetensors has shape [64, 32]",
                        n -> n.put("hidden_size", 64)),
                bad("tensor 'model.layers.0.self_attn.k_proj.weight'", "num_key_value_heads=4",
                        n -> n.put("num_key_value_heads", 4)),
                bad("tensor 'model.layers.0.mlp.gate_proj.weight'", "intermediate_size=40",
                        n -> n.put("intermediate_size", 40)),
                bad("missing tensor 'model.layers.0.self_attn.q_proj.bias'", "", n -> {}),   // see below: biases removed
                bad("model-00001-of-00002.safetensors: tensor 'model.embed_tokens.weight': dtype BF16 disagrees with torch_dtype float32", "",
                        n -> n.put("torch_dtype", "float32")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dreamValuesTheTensorsContradict")
    void checkpointErrorsNameTheFieldAndTheTensor(String first, String second, Consumer<ObjectNode> edit) throws IOException {
        Path dir = dream(edit);
        if (first.contains("q_proj.bias")) {
            // a Qwen2-style checkpoint without its biases is not a Dream checkpoint
            ObjectNode index = (ObjectNode) JSON.readTree(dir.resolve("model.safetensors.index.json").toFile());
            assertThat(index.get("weight_map").has("model.layers.0.self_attn.q_proj.bias")).isTrue();
            Path shard = dir.resolve(index.get("weight_map").get("model.layers.0.self_attn.q_proj.bias").asText());
            rewriteWithout(shard, "model.layers.0.self_attn.q_proj.bias");
            ((ObjectNode) index.get("weight_map")).remove("model.layers.0.self_attn.q_proj.bias");
            Files.writeString(dir.resolve("model.safetensors.index.json"), JSON.writeValueAsString(index));
        }
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining(first).hasMessageContaining(second);
    }

    /** Rewrites a safetensors file without one tensor. */
    private static void rewriteWithout(Path file, String tensor) throws IOException {
        byte[] all = Files.readAllBytes(file);
        int n = (int) java.nio.ByteBuffer.wrap(all, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(all, 8, n, java.nio.charset.StandardCharsets.UTF_8));
        header.remove(tensor);
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        for (var it = header.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            var offsets = (com.fasterxml.jackson.databind.node.ArrayNode) e.getValue().get("data_offsets");
            int from = offsets.get(0).asInt(), to = offsets.get(1).asInt(), at = data.size();
            data.write(all, 8 + n + from, to - from);
            offsets.removeAll().add(at).add(at + to - from);
        }
        byte[] h = JSON.writeValueAsString(header).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + h.length + data.size()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data.toByteArray());
        Files.write(file, b.array());
    }
}
