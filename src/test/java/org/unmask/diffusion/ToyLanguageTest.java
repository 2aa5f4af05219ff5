package org.unmask.diffusion;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.unmask.model.Transformer;
import org.unmask.model.ModelConfig;
import org.unmask.train.AdamW;
import org.unmask.train.CleanBatch;
import org.unmask.train.DiffusionObjective;
import org.unmask.train.GradClip;
import org.unmask.train.Rng;
import org.unmask.train.TrainBatch;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Trains a small LLaDA model inside the test on a structured toy language, arithmetic progressions modulo 16
 * (a, a+d, a+2d, ... with a step d of 1, 2 or 3), so that the sampler's output can be checked for correctness rather
 * than only for running: continuations must keep the progression, and infilled gaps must agree with both sides.
 */
class ToyLanguageTest {
    private static final int SPECIALS = 6, MOD = 16, LEN = 12, MASK = 2, EOS = 0;
    private static Transformer model;

    private static int token(int value) { return SPECIALS + Math.floorMod(value, MOD); }

    private static int[] progression(int start, int step) {
        int[] s = new int[LEN];
        for (int i = 0; i < LEN; i++) s[i] = token(start + i * step);
        return s;
    }

    @BeforeAll
    static void train() {
        ModelConfig c = new ModelConfig(64, 2, 4, 4, 128, SPECIALS + MOD, SPECIALS + MOD, 64, 10000.0, 1e-5,
                false, MASK, EOS, EOS, 1);
        model = Transformer.randomInit(c, 11);
        AdamW opt = new AdamW(model.parameters(), 0.9, 0.99, 1e-8, 0.0);
        DiffusionObjective objective = new DiffusionObjective(MASK, 1e-3, 0.0, true);
        Rng rng = new Rng(12);
        SplittableRandom data = new SplittableRandom(13);
        int batch = 32, steps = 600;
        for (int step = 0; step < steps; step++) {
            int[] ids = new int[batch * LEN];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(progression(data.nextInt(MOD), 1 + data.nextInt(3)), 0, ids, b * LEN, LEN);
            }
            TrainBatch t = objective.corrupt(CleanBatch.of(ids, batch, LEN), rng);
            model.parameters().zeroGrads();
            model.forwardBackward(t.ids(), t.batch(), t.seqLen(), null, t.pattern(), t.rows(), t.targets(), t.weights());
            GradClip.clipGlobalNorm(model.parameters().grads(), 1.0);
            double lr = 3e-3 * Math.min(1.0, (step + 1) / 50.0) * (step < steps * 0.8 ? 1.0 : 0.3);
            opt.step(lr);
        }
    }

    @Test
    void continuationsFollowTheProgression() {
        int correct = 0, total = 0;
        for (int start = 0; start < MOD; start += 3) {
            for (int step = 1; step <= 3; step++) {
                int[] expected = progression(start, step);
                int[] prompt = java.util.Arrays.copyOf(expected, 4);
                SamplerConfig cfg = SamplerConfig.builder(LEN - 4, LEN - 4, 4).specialIds(MASK, EOS, -1).build();
                int[] out = new Sampler(model, cfg).generate(prompt).sequences()[0];
                assertThat(java.util.Arrays.copyOf(out, 4)).as("the prompt never changes").isEqualTo(prompt);
                for (int i = 4; i < LEN; i++, total++) if (out[i] == expected[i]) correct++;
            }
        }
        assertThat((double) correct / total).as("share of generated tokens that continue the progression").isGreaterThan(0.9);
    }

    @Test
    void infillingAgreesWithBothSides() {
        int correct = 0, total = 0;
        for (int start = 1; start < MOD; start += 4) {
            for (int step = 1; step <= 3; step++) {
                int[] expected = progression(start, step);
                int[] canvas = expected.clone();
                // a gap in the middle: the model must use the right context as well as the left one
                for (int i = 3; i < 8; i++) canvas[i] = MASK;
                SamplerConfig cfg = SamplerConfig.builder(0, 5, 1).specialIds(MASK, EOS, -1).build();
                int[] out = new Sampler(model, cfg).generate(List.of(canvas), null).sequences()[0];
                for (int i = 0; i < LEN; i++) {
                    if (i < 3 || i >= 8) assertThat(out[i]).as("context position %d is kept", i).isEqualTo(expected[i]);
                    else { total++; if (out[i] == expected[i]) correct++; }
                }
            }
        }
        assertThat((double) correct / total).as("share of infilled tokens that fit the progression").isGreaterThan(0.9);
    }

    @Test
    void parallelThresholdDecodingStaysCorrectWithFewerForwardPasses() {
        int correct = 0, total = 0, passes = 0;
        for (int start = 0; start < MOD; start += 5) {
            for (int step = 1; step <= 3; step++) {
                int[] expected = progression(start, step);
                int[] prompt = java.util.Arrays.copyOf(expected, 4);
                SamplerConfig cfg = SamplerConfig.builder(LEN - 4, LEN - 4, LEN - 4).threshold(0.9)
                        .specialIds(MASK, EOS, -1).build();
                SampleResult r = new Sampler(model, cfg).generate(prompt);
                passes += r.forwardPasses();
                for (int i = 4; i < LEN; i++, total++) if (r.sequences()[0][i] == expected[i]) correct++;
            }
        }
        assertThat((double) correct / total).isGreaterThan(0.9);
        assertThat(passes).as("a confident model commits several tokens per forward pass").isLessThan(total);
    }
}
