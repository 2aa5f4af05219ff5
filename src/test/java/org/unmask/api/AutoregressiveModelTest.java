package org.unmask.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.diffusion.CacheMode;
import org.unmask.diffusion.InvalidSettingException;
import org.unmask.diffusion.ScoredSequence;
import org.unmask.model.ModelConfig;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.RandomInit;
import org.unmask.model.kernels.AttentionPattern;
import org.unmask.model.tensor.DType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * A model trained with {@code --objective ar} (its trainer_state.json says so) writes left to right: each new token
 * is chosen from the causal forward's output at the position before it, checked against a plain loop over the raw
 * forward; it scores exactly and refuses what it cannot do.
 */
class AutoregressiveModelTest {
    static final ModelConfig CONFIG = new ModelConfig(32, 2, 4, 2, 48, 64, 64, 128, 10000.0, 1e-5, false, 2, 0, 0, 1);

    /** A random model saved as an AR run saves it: config, weights, and a trainer state naming the objective. */
    static Path arRun(Path dir) throws Exception {
        Checkpoint.saveSources(dir, CONFIG, RandomInit.tensors(CONFIG, 11), DType.F32, 1L << 30, null);
        Files.writeString(dir.resolve("trainer_state.json"), "{\"format\": 1, \"step\": 10, \"objective\": \"ar\"}");
        return dir;
    }

    /** Log-softmax in double of one row of logits. */
    static double logSoftmax(float[] logits, int row, int vocab, int token) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < vocab; j++) max = Math.max(max, logits[row * vocab + j]);
        for (int j = 0; j < vocab; j++) sum += Math.exp(logits[row * vocab + j] - max);
        return logits[row * vocab + token] - max - Math.log(sum);
    }

    @Test void greedyTokensAreTheArgmaxOfTheCausalForwardAtThePositionBefore(@TempDir Path dir) throws Exception {
        UnmaskModel m = UnmaskModel.load(arRun(dir));
        assertThat(m.autoregressive()).isTrue();
        org.unmask.model.Denoiser raw = m.denoiser();   // the raw causal forward, unshifted
        int[] prompt = {1, 9, 14, 30, 5};
        int vocab = CONFIG.embeddingSize();
        for (CacheMode cache : new CacheMode[]{CacheMode.NONE, CacheMode.DUAL}) {
            Generation g = m.generate(prompt, m.sampling().genLength(12).temperature(0).cache(cache), null);
            assertThat(g.steps()).as("one step per token").isEqualTo(12);
            int[] canvas = g.canvas();
            for (int p = prompt.length; p < canvas.length; p++) {
                // the raw model over the text so far, causally: its last row predicts position p
                int[] sofar = java.util.Arrays.copyOf(canvas, p);
                float[] logits = raw.logits(sofar, 1, p, null, new int[]{p - 1}, AttentionPattern.CAUSAL);
                float max = Float.NEGATIVE_INFINITY;
                int best = -1;
                for (int j = 0; j < vocab; j++) if (logits[j] > max) { max = logits[j]; best = j; }
                assertThat(logits[canvas[p]]).as("cache %s, token %d (argmax %d)", cache, p, best).isCloseTo(max, within(1e-4f));
            }
        }
        // what a bidirectional, unshifted sampler would write differs: the test can tell the two apart
        Generation diffusionView = UnmaskModel.of(raw, Optional.empty()).generate(prompt,
                org.unmask.diffusion.SamplerConfig.builder().genLength(12).steps(12).temperature(0).specialIds(2, 0, -1), null);
        assertThat(diffusionView.tokens()).isNotEqualTo(m.generate(prompt, m.sampling().genLength(12).temperature(0), null).tokens());
    }

    @Test void aBatchOfPromptsOfDifferentLengthsGivesEachRowWhatItGivesAlone(@TempDir Path dir) throws Exception {
        UnmaskModel m = UnmaskModel.load(arRun(dir));
        int[] a = {1, 9, 14}, b = {1, 30, 5, 7, 22, 3};
        List<Generation> both = m.generate(List.of(a, b), m.sampling().genLength(8).temperature(1.0).seed(4), null);
        assertThat(both.get(0).tokens()).containsExactly(m.generate(a, m.sampling().genLength(8).temperature(1.0).seed(4), null).tokens());
        assertThat(both.get(1).tokens()).containsExactly(m.generate(b, m.sampling().genLength(8).temperature(1.0).seed(5), null).tokens());
    }

    @Test void scoresAreTheExactSumOfNextTokenLogProbabilities(@TempDir Path dir) throws Exception {
        UnmaskModel m = UnmaskModel.load(arRun(dir));
        org.unmask.model.Denoiser raw = m.denoiser();   // the raw causal forward, unshifted
        int[] prompt = {1, 9, 14}, answer = {30, 5, 7};
        int[] all = {1, 9, 14, 30, 5, 7};
        float[] logits = raw.logits(all, 1, all.length, null, null, AttentionPattern.CAUSAL);
        double expected = 0;
        for (int t = 2; t < 5; t++) expected += logSoftmax(logits, t, CONFIG.embeddingSize(), all[t + 1]);
        assertThat(m.score(prompt, answer, 1, 1, 0, 0)).isCloseTo(expected, within(1e-4));
        assertThat(m.nextTokenNll(List.of(new ScoredSequence(all, 3))).natsPerToken()).isCloseTo(-expected / 3, within(1e-5));
        assertThatThrownBy(() -> m.elbo(List.of(new ScoredSequence(all, 3)), 4, 0))
                .hasMessageContaining("autoregressive").hasMessageContaining("nextTokenNll");
    }

    @Test void refusesSettingsThatWouldNotWriteOneTokenPerStepAndInfilling(@TempDir Path dir) throws Exception {
        UnmaskModel m = UnmaskModel.load(arRun(dir));
        int[] prompt = {1, 9, 14};
        assertThatThrownBy(() -> m.generate(prompt, m.sampling().genLength(8).blockLength(4), null))
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("block_length must be 1, got 4");
        assertThatThrownBy(() -> m.generate(prompt, m.sampling().genLength(8).steps(8), null))
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("steps must be 1");
        assertThatThrownBy(() -> m.generate(prompt, m.sampling().genLength(8).blockCausal(false), null))
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("block_causal cannot be off");
        assertThatThrownBy(() -> m.generate(prompt, m.sampling().genLength(8).threshold(0.9), null))
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("threshold has nothing to choose from");
        assertThatThrownBy(() -> m.generate(prompt, m.sampling().genLength(8).remasking(org.unmask.diffusion.Remasking.RANDOM), null))
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("remasking has one position to rank");
        assertThat(m.generate(prompt, m.sampling().genLength(8).remasking(org.unmask.diffusion.Remasking.MASKGIT_PLUS)
                .temperature(0.8).topP(0.9).seed(3), null).tokens()).hasSize(8);
        assertThatThrownBy(() -> m.infill(new int[]{1, 9, 2, 2, 14}, m.sampling(), null))
                .hasMessageContaining(dir.toString()).hasMessageContaining("trainer_state.json names the 'ar' objective")
                .hasMessageContaining("cannot fill masked spans");
    }

    @Test void onlyATrainerStateNamingTheArObjectiveMakesAModelAutoregressive(@TempDir Path dir) throws Exception {
        Checkpoint.saveSources(dir, CONFIG, RandomInit.tensors(CONFIG, 11), DType.F32, 1L << 30, null);
        assertThat(UnmaskModel.load(dir).autoregressive()).isFalse();
        // another tool's trainer_state.json (Hugging Face's Trainer writes one) has no objective
        Files.writeString(dir.resolve("trainer_state.json"), "{\"best_metric\": null, \"global_step\": 500, \"log_history\": []}");
        assertThat(UnmaskModel.load(dir).autoregressive()).isFalse();
        Files.writeString(dir.resolve("trainer_state.json"), "{\"objective\": \"diffusion\"}");
        assertThat(UnmaskModel.load(dir).autoregressive()).isFalse();
        Files.writeString(dir.resolve("trainer_state.json"), "{\"objective\": \"ar\"");
        assertThatThrownBy(() -> UnmaskModel.load(dir)).hasMessageContaining("trainer_state.json").hasMessageContaining("not valid JSON");
    }
}
