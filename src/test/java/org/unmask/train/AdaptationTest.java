package org.unmask.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.data.Tokens;
import org.unmask.diffusion.Elbo;
import org.unmask.model.LogitShift;
import org.unmask.model.ModelConfig;
import org.unmask.model.Transformer;
import org.unmask.model.kernels.AttentionPattern;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.unmask.train.TrainerTest.CONFIG;
import static org.unmask.train.TrainerTest.MASK;

/** Adapting an autoregressive model to diffusion: the shifted objective, the attention anneal and their resume. */
class AdaptationTest {
    static final ModelConfig SHIFTED = CONFIG.withLogitShift(true);

    @TempDir Path tmp;

    @Test void theAnnealWidensTheLookAheadLinearlyFromCausalToBidirectional() {
        AttentionAnneal a = new AttentionAnneal(8);
        assertThat(a.pattern(0, 32)).isEqualTo(AttentionPattern.lookahead(0));
        assertThat(a.pattern(1, 32)).isEqualTo(AttentionPattern.lookahead(4));
        assertThat(a.pattern(4, 32)).isEqualTo(AttentionPattern.lookahead(16));
        assertThat(a.pattern(7, 32)).isEqualTo(AttentionPattern.lookahead(28));
        assertThat(a.pattern(8, 32)).isEqualTo(AttentionPattern.BIDIRECTIONAL);
        assertThat(a.activeAt(7)).isTrue();
        assertThat(a.activeAt(8)).isFalse();
        assertThat(AttentionAnneal.NONE.activeAt(0)).isFalse();
        // a look-ahead that reaches the end of the row is the bidirectional mask itself
        assertThat(new AttentionAnneal(3).pattern(2, 3)).isEqualTo(AttentionPattern.BIDIRECTIONAL);
        assertThatThrownBy(() -> new AttentionAnneal(-1)).hasMessageContaining("--anneal-steps");
    }

    @Test void theShiftedLossScoresEachMaskedTokenFromThePreviousRowAsLogitShiftDoes() {
        Transformer model = Transformer.randomInit(SHIFTED, 4);
        int b = 3, len = 16;
        int[] clean = new int[b * len];
        Rng data = new Rng(9);
        for (int i = 0; i < clean.length; i++) clean[i] = 10 + data.nextInt(200);
        TrainBatch tb = new DiffusionObjective(MASK, 1e-3, 0, false, true).corrupt(new CleanBatch(clean, b, len, null), new Rng(5));
        AttentionPattern pattern = AttentionPattern.lookahead(3);

        // independently: every masked slot, scored by row i-1 of its sequence (position 0 by itself)
        float[] all = model.logits(tb.ids(), b, len, null, null, pattern);
        int v = SHIFTED.embeddingSize(), n = 0;
        double direct = 0;
        for (int at = 0; at < clean.length; at++) {
            if (tb.ids()[at] != MASK) continue;
            int row = at % len == 0 ? at : at - 1;
            assertThat(tb.rows()[n]).isEqualTo(row);
            assertThat(tb.targets()[n]).isEqualTo(clean[at]);
            direct += tb.weights()[n] * crossEntropy(all, row * v, v, clean[at]);
            n++;
        }
        assertThat(n).isEqualTo(tb.rows().length).isGreaterThan(5);
        double loss = model.forwardBackward(tb.ids(), b, len, null, pattern, tb.rows(), tb.targets(), tb.weights());
        assertThat(loss).isCloseTo(direct, within(1e-4 * Math.abs(direct)));

        // the same figure through the sampler's view of the model: LogitShift's logits at the masked positions
        int[] masked = new int[n];
        for (int at = 0, k = 0; at < clean.length; at++) if (tb.ids()[at] == MASK) masked[k++] = at;
        float[] viewed = LogitShift.apply(model).logits(tb.ids(), b, len, null, masked, pattern);
        double throughView = 0;
        for (int k = 0; k < n; k++) throughView += tb.weights()[k] * crossEntropy(viewed, k * v, v, tb.targets()[k]);
        assertThat(throughView).isCloseTo(direct, within(1e-9 + 1e-6 * Math.abs(direct)));
    }

    @Test void trainingValidatesAShiftedModelByTheElboOfItsShiftedView() throws IOException {
        var windows = Validation.windows(TrainerTest.corpus(400, 3), 32, 4);
        Path dir = tmp.resolve("v");
        TrainOptions o = new TrainOptions(3e-3, 1, LrSchedule.Kind.COSINE, 4, 32, 1, 1.0, 0.01, 0.9, 0.95, 1e-8, 42,
                0, 0, Budget.steps(2), 5, 0.5, new AttentionAnneal(1));
        Trainer t = new Trainer(Transformer.randomInit(SHIFTED, 6), new DiffusionObjective(MASK, 1e-3, 0, false, true),
                new WindowSampler(TrainerTest.corpus(5_000, 1), 4, 32, 42, false), new Validation(windows, 4, 3, 11), dir, o,
                Reporter.quiet(false));
        double validated = t.run().validation().bitsPerToken();
        Transformer saved = load(dir);
        double shifted = Elbo.estimate(LogitShift.apply(saved), windows, 4, 2, 11).bitsPerToken();
        assertThat(validated).isCloseTo(shifted, within(1e-9));
        assertThat(Elbo.estimate(saved, windows, 4, 2, 11).bitsPerToken()).isNotCloseTo(shifted, within(1e-4));
    }

    @Test void resumeInsideTheAnnealContinuesExactly() throws IOException {
        int n = 12;
        TrainOptions o = annealed(Budget.steps(n), 8);
        Path straight = tmp.resolve("straight");
        trainer(straight, o, 3).run();

        Path split = tmp.resolve("split");
        Trainer b1 = trainer(split, o, 3);
        b1.setGradientHook((attempt, grads) -> { if (attempt == 4) b1.requestStop(); });   // stop after step 5 of the anneal's 8
        assertThat(b1.run().steps()).isEqualTo(5);
        assertThat(TrainerState.read(split).annealSteps()).isEqualTo(8);
        Trainer b2 = trainer(split, o, 999);
        b2.resume();
        b2.run();

        assertThat(TrainerTest.losses(split)).containsExactlyElementsOf(TrainerTest.losses(straight));
        Map<String, float[]> pa = RunCheckpoint.snapshot(load(straight)), pb = RunCheckpoint.snapshot(load(split));
        for (var e : pa.entrySet()) assertThat(pb.get(e.getKey())).as(e.getKey()).containsExactly(e.getValue());

        // and the anneal is really in play: without it the same run takes other steps
        Path plain = tmp.resolve("plain");
        trainer(plain, annealed(Budget.steps(n), 0), 3).run();
        assertThat(TrainerTest.losses(plain).get(0)).isNotEqualTo(TrainerTest.losses(straight).get(0));
    }

    private static double crossEntropy(float[] logits, int off, int v, int target) {
        double max = Double.NEGATIVE_INFINITY, z = 0;
        for (int j = 0; j < v; j++) max = Math.max(max, logits[off + j]);
        for (int j = 0; j < v; j++) z += Math.exp(logits[off + j] - max);
        return max + Math.log(z) - logits[off + target];
    }

    private static TrainOptions annealed(Budget budget, long steps) {
        return new TrainOptions(3e-3, 2, LrSchedule.Kind.COSINE, 4, 32, 1, 1.0, 0.01, 0.9, 0.95, 1e-8, 42,
                0, 4, budget, 5, 0.5, new AttentionAnneal(steps));
    }

    private Trainer trainer(Path dir, TrainOptions o, long seed) {
        Tokens data = TrainerTest.corpus(20_000, 1);
        Transformer model = Transformer.randomInit(SHIFTED, seed);
        return new Trainer(model, new DiffusionObjective(MASK, 1e-3, 0.3, true, true),
                new WindowSampler(data, o.batch(), o.seqLen(), o.seed(), o.budget().byEpochs()), null, dir, o, Reporter.quiet(false));
    }

    private static Transformer load(Path dir) throws IOException {
        Transformer m = Transformer.randomInit(RunCheckpoint.config(dir), 0);
        RunCheckpoint.loadWeights(dir, m);
        return m;
    }
}
