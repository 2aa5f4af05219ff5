package org.unmask.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.diffusion.SamplerConfig;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GenerationDefaultsTest {
    @Test void aModelsOwnDefaultsOverrideItsFamilysAndOtherToolsFieldsAreIgnored(@TempDir Path dir) throws Exception {
        assertThat(GenerationDefaults.read(dir, GenerationDefaults.LLADA)).isSameAs(GenerationDefaults.LLADA);
        Files.writeString(dir.resolve(GenerationDefaults.FILE), "{\"temperature\": 0.2, \"max_new_tokens\": 5}");
        assertThat(GenerationDefaults.read(dir, GenerationDefaults.LLADA)).isSameAs(GenerationDefaults.LLADA);

        Files.writeString(dir.resolve(GenerationDefaults.FILE), "{\"unmask\": {\"temperature\": 0.7, \"block_length\": 16}}");
        GenerationDefaults g = GenerationDefaults.read(dir, GenerationDefaults.LLADA);
        assertThat(g.temperature()).isEqualTo(0.7);
        assertThat(g.blockLength()).isEqualTo(16);
        assertThat(g.remasking()).isEqualTo("low_confidence");
        // the semi-autoregressive block applies when the user gives none, and the user's wins
        SamplerConfig c = SamplerConfig.builder().defaults(g).genLength(64).fallbackShape(64, 64).specialIds(2, 0, -1).build();
        assertThat(c.blockLength()).isEqualTo(16);
        assertThat(c.temperature()).isEqualTo(0.7);
        assertThat(SamplerConfig.builder().defaults(g).genLength(64).blockLength(32).specialIds(2, 0, -1).build().blockLength()).isEqualTo(32);
        // LLaDA 2.x's block of 32 belongs to its block-causal generation, not to a user's semi-autoregressive one
        assertThat(SamplerConfig.builder().defaults(GenerationDefaults.LLADA2).genLength(64).blockCausal(false).fallbackShape(64, 64)
                .specialIds(2, 0, -1).build().blockLength()).isEqualTo(64);

        Files.writeString(dir.resolve(GenerationDefaults.FILE), "{\"unmask\": {\"temperature\": \"hot\"}}");
        assertThatThrownBy(() -> GenerationDefaults.read(dir, GenerationDefaults.LLADA))
                .hasMessageContaining(GenerationDefaults.FILE).hasMessageContaining("unmask.temperature");
    }
}
