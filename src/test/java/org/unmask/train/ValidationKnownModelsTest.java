package org.unmask.train;

import org.junit.jupiter.api.Test;
import org.unmask.data.Tokens;
import org.unmask.diffusion.NllEstimate;
import org.unmask.model.KnownModels;
import org.unmask.model.Transformer;
import org.unmask.model.ModelConfig;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Training-time validation of a real transformer (as the trainer wires it) against closed-form values:
 * the autoregressive NLL of a model with an all-zero LM head is exactly ln(embedding_size) per token, and a model that
 * predicts token A with certainty at every masked position has an ELBO of ~0 on text made of A — for any masking
 * scheme, since every masked token then costs ~0.
 */
class ValidationKnownModelsTest {
    static final ModelConfig C = KnownModels.config();

    @Test
    void autoregressiveNllOfAUniformModelIsLnEmbeddingSize() {
        int[] ids = new int[400];
        for (int i = 0; i < ids.length; i++) ids[i] = 3 + (i * 7) % 13;
        Validation v = new Validation(Validation.windows(Tokens.of(ids), 20, 10), 4, 4, 1);
        NllEstimate r = v.autoregressiveNll(KnownModels.uniform(C, 5));
        assertThat(r.tokens()).isEqualTo(10 * 19);
        assertThat(r.natsPerToken()).isCloseTo(Math.log(C.embeddingSize()), within(1e-5));
        assertThat(r.bitsPerToken()).isCloseTo(Math.log(C.embeddingSize()) / Math.log(2), within(1e-5));
        assertThat(r.perplexity()).isCloseTo(C.embeddingSize(), within(1e-3));
        assertThat(r.bound()).isFalse();
    }

    @Test
    void diffusionElboOfACertainModelIsZeroAndOfAWrongOneLarge() {
        Transformer certainOfSix = KnownModels.constant(C, 6, 40, 6);
        int[] six = new int[400];
        Arrays.fill(six, 6);
        Validation v = new Validation(Validation.windows(Tokens.of(six), 20, 10), 8, 4, 2);
        NllEstimate r = v.diffusionElbo(certainOfSix);
        assertThat(r.tokens()).isEqualTo(200);
        assertThat(r.bound()).isTrue();
        assertThat(r.natsPerToken()).isCloseTo(0, within(1e-6));
        // the same model on text of another token: every masked token costs the margin (~40 nats), so the bound is
        // large; its exact value depends on how many tokens the estimator masks, so only the order is checked
        int[] seven = new int[400];
        Arrays.fill(seven, 7);
        Validation w = new Validation(Validation.windows(Tokens.of(seven), 20, 10), 8, 4, 2);
        assertThat(w.diffusionElbo(certainOfSix).natsPerToken()).isBetween(20.0, 80.0);
    }

    @Test
    void sftValidationOfACertainModelIgnoresThePrompt() {
        // prompts of another token cost nothing because they are never masked nor counted
        Transformer certainOfSix = KnownModels.constant(C, 6, 40, 7);
        int[] ids = new int[2 * 12];
        Arrays.fill(ids, 6);
        for (int i = 0; i < 5; i++) ids[i] = 9;
        for (int i = 12; i < 12 + 8; i++) ids[i] = 9;
        Validation v = new Validation(Validation.rows(List.of(new CleanBatch(ids, 2, 12, new int[]{5, 8}))), 8, 4, 3);
        NllEstimate r = v.diffusionElbo(certainOfSix);
        assertThat(r.tokens()).isEqualTo(7 + 4);
        assertThat(r.natsPerToken()).isCloseTo(0, within(1e-6));
    }
}
