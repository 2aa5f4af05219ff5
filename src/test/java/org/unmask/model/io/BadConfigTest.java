package org.unmask.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.unmask.model.Transformer;
import org.unmask.model.ModelConfig;
import org.unmask.model.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Absurd config.json values fail at load, naming the file and the field, before anything is sized by them. */
class BadConfigTest {

    static final ObjectMapper JSON = new ObjectMapper();
    /** Loading must not take longer than this: a config is checked, never enumerated. */
    static final Duration FAST = Duration.ofSeconds(10);

    @TempDir Path tmp;

    /** config.json of the two-layer fixture model (d_model 16, 4 heads, 2 kv heads, vocab 40, embedding 48). */
    private ObjectNode goodConfig() throws IOException {
        Path f = tmp.resolve("good.json");
        Fixtures.smallConfig().write(f);
        return (ObjectNode) JSON.readTree(f.toFile());
    }

    private static Arguments bad(String field, String expected, Consumer<ObjectNode> edit) {
        return Arguments.of(field, expected, edit);
    }

    /** Values wrong in themselves: ModelConfig.read rejects them without looking at any tensor. */
    static Stream<Arguments> absurdValues() {
        return Stream.of(
                bad("n_layers", "must be positive", n -> n.put("n_layers", 0)),
                bad("n_layers", "must be positive", n -> n.put("n_layers", -3)),
                bad("n_layers", "whole number", n -> n.put("n_layers", 2.5)),
                bad("d_model", "must be positive", n -> n.put("d_model", 0)),
                bad("d_model", "must be a number", n -> n.put("d_model", "sixteen")),
                bad("n_heads", "must divide d_model", n -> n.put("n_heads", 3)),
                bad("n_heads", "must be positive", n -> n.put("n_heads", -4)),
                bad("n_kv_heads", "must divide n_heads", n -> n.put("n_kv_heads", 3)),
                bad("n_kv_heads", "must be positive", n -> n.put("n_kv_heads", 0)),
                bad("mlp_hidden_size", "must be positive", n -> n.put("mlp_hidden_size", -1)),
                bad("vocab_size", "must be positive", n -> n.put("vocab_size", 0)),
                bad("vocab_size", "32-bit", n -> n.put("vocab_size", 3_000_000_000L)),
                bad("embedding_size", "32-bit", n -> n.put("embedding_size", 1_000_000_000_000L)),
                bad("embedding_size", "at least vocab_size", n -> n.put("embedding_size", 10)),
                bad("max_sequence_length", "must be positive", n -> n.put("max_sequence_length", 0)),
                bad("rope_theta", "positive", n -> n.put("rope_theta", -1.0)),
                bad("rms_norm_eps", "positive", n -> n.put("rms_norm_eps", 0.0)),
                bad("mask_token_id", "outside the embedding", n -> n.put("mask_token_id", 48)),
                bad("eos_token_id", "outside the embedding", n -> n.put("eos_token_id", -1)),
                bad("bos_token_id", "outside the embedding", n -> n.put("bos_token_id", 1000)),
                bad("d_model", "2^63", n -> n.put("d_model", 1 << 30).put("n_layers", 4)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("absurdValues")
    void readNamesTheFileAndTheField(String field, String expected, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode n = goodConfig();
        edit.accept(n);
        Path file = tmp.resolve("config.json");
        JSON.writeValue(file.toFile(), n);
        assertThatThrownBy(() -> assertTimeoutPreemptively(FAST, () -> ModelConfig.read(file)))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(file + ": ")
                .hasMessageContaining(field)
                .hasMessageContaining(expected)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(": config.json: "));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("absurdValues")
    void loadingACheckpointNamesTheFileAndTheField(String field, String expected, Consumer<ObjectNode> edit) throws IOException {
        Path dir = checkpointWith(edit);
        assertThatThrownBy(() -> assertTimeoutPreemptively(FAST, () -> Checkpoint.open(dir)))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(dir.resolve("config.json") + ": ")
                .hasMessageContaining(field)
                .hasMessageContaining(expected);
    }

    /** Values plausible in themselves that the checkpoint's tensors contradict. */
    static Stream<Arguments> valuesTheTensorsContradict() {
        return Stream.of(
                bad("n_layers", "missing tensor 'model.transformer.blocks.2.attn_norm.weight'", n -> n.put("n_layers", 1_000_000_000)),
                bad("n_layers", "missing tensor 'model.transformer.blocks.2.attn_norm.weight'", n -> n.put("n_layers", Integer.MAX_VALUE)),
                bad("embedding_size", "tensor 'model.transformer.wte.weight' in model.safetensors has shape [48, 16]",
                        n -> n.put("embedding_size", 64)),
                bad("vocab_size", "tensor 'model.transformer.wte.weight' in model.safetensors has shape [48, 16]",
                        n -> n.put("vocab_size", 50).remove("embedding_size")),
                bad("d_model", "tensor 'model.transformer.wte.weight' in model.safetensors has shape [48, 16]",
                        n -> n.put("d_model", 32)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("valuesTheTensorsContradict")
    void theTensorsAreConsultedBeforeAnythingIsSizedByTheConfig(String field, String expected, Consumer<ObjectNode> edit)
            throws IOException {
        Path dir = checkpointWith(edit);
        ModelConfig.read(dir.resolve("config.json"));   // fine on its own
        assertThatThrownBy(() -> assertTimeoutPreemptively(FAST, () -> Checkpoint.open(dir)))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(dir.resolve("config.json") + ": field '" + field + "' = ")
                .hasMessageContaining(expected);
    }

    @Test void aTrainableModelTooLargeForOneBufferFailsBeforeItsLayoutIsBuilt() {
        ModelConfig huge = new ModelConfig(16, 1_000_000_000, 4, 2, 24, 40, 48, 32, 10000.0, 1e-5, false, 2, 0, 0, 1);
        assertThatThrownBy(() -> assertTimeoutPreemptively(FAST, () -> Transformer.randomInit(huge, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too large to train");
    }

    /** A saved fixture model whose config.json was then edited. */
    private Path checkpointWith(Consumer<ObjectNode> edit) throws IOException {
        Path dir = tmp.resolve("model");
        Checkpoint.save(dir, Fixtures.smallConfig(), Fixtures.randomTensors(Fixtures.smallConfig(), 3), DType.F32, 1L << 30);
        ObjectNode n = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        edit.accept(n);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(n));
        return dir;
    }
}
