package org.unmask.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelConfigTest {

    @Test
    void llada8bParameterCountMatchesTheReleasedCheckpoint() {
        // LLaDA-8B's published size: 8,015,581,184 parameters, 6,979,588,096 without the two embedding matrices
        ModelConfig c = ModelConfig.preset("llada-8b");
        assertThat(c.parameterCount()).isEqualTo(8_015_581_184L);
        assertThat(c.parameterCount() - 2L * c.embeddingSize() * c.dModel()).isEqualTo(6_979_588_096L);
    }

    @Test
    void microPresetHasTheDemoShapesParameterCount() {
        // untied 4096 x 96 embedding and head, 3 layers of q,k,v,o (96 x 96) and SwiGLU (3 x 96 x 256), 7 norms of 96
        ModelConfig c = ModelConfig.preset("micro");
        assertThat(c.parameterCount()).isEqualTo(2L * 4096 * 96 + 3L * (4 * 96 * 96 + 3 * 96 * 256) + 7 * 96);
    }

    @Test
    void roundTripsThroughConfigJson(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.preset("small");
        Path f = dir.resolve("config.json");
        c.write(f);
        assertThat(ModelConfig.read(f)).isEqualTo(new ModelConfig(c.dModel(), c.nLayers(), c.nHeads(), c.nKvHeads(),
                c.mlpHiddenSize(), c.vocabSize(), c.embeddingSize(), c.maxSequenceLength(), c.ropeTheta(), c.rmsNormEps(),
                c.weightTying(), c.maskTokenId(), c.eosTokenId(), c.padTokenId(), c.bosTokenIdOrNull()));
    }

    @Test
    void badFieldsNameTheFileAndTheField(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\"d_model\": 100, \"n_layers\": 2, \"n_heads\": 3, \"mlp_hidden_size\": 8, \"vocab_size\": 10,"
                + " \"max_sequence_length\": 8, \"rope_theta\": 10000, \"rms_norm_eps\": 1e-5, \"weight_tying\": false,"
                + " \"mask_token_id\": 1, \"eos_token_id\": 0}");
        assertThatThrownBy(() -> ModelConfig.read(f)).isInstanceOf(IOException.class)
                .hasMessageContaining("config.json").hasMessageContaining("n_heads");
        Files.writeString(f, "{\"d_model\": ");
        assertThatThrownBy(() -> ModelConfig.read(f)).isInstanceOf(IOException.class).hasMessageContaining("config.json");
        Files.writeString(f, "{\"d_model\": 64, \"n_layers\": 2, \"n_heads\": 4, \"mlp_hidden_size\": 8, \"vocab_size\": 10,"
                + " \"max_sequence_length\": 8, \"rope_theta\": 10000, \"rms_norm_eps\": 1e-5, \"weight_tying\": false,"
                + " \"eos_token_id\": 0}");
        assertThatThrownBy(() -> ModelConfig.read(f)).isInstanceOf(IOException.class).hasMessageContaining("mask_token_id");
    }

    @Test
    void llada8bHas291TensorsWhoseSizesSumToTheParameterCount() {
        ModelConfig c = ModelConfig.preset("llada-8b");
        var shapes = LladaTensors.expectedShapes(c);
        assertThat(shapes).hasSize(291);
        long total = shapes.values().stream().mapToLong(s -> java.util.Arrays.stream(s).reduce(1, (a, b) -> a * b)).sum();
        assertThat(total).isEqualTo(c.parameterCount());
    }
}
