package org.unmask.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.data.Tokens;
import org.unmask.model.Transformer;
import org.unmask.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainerTest {
    static final int VOCAB = 300, MASK = 2, EOS = 0;
    static final ModelConfig CONFIG = new ModelConfig(32, 2, 4, 4, 64, VOCAB, VOCAB, 64, 10000.0, 1e-5, false, MASK, EOS, EOS, 1);

    @TempDir Path tmp;

    /** A corpus with learnable structure: runs of consecutive ids from random starts, separated by EOS. */
    static Tokens corpus(int n, long seed) {
        Rng r = new Rng(seed);
        int[] ids = new int[n];
        int i = 0;
        while (i < n) {
            int start = 10 + r.nextInt(40), len = 5 + r.nextInt(20);
            for (int k = 0; k < len && i < n; k++) ids[i++] = start + k;
            if (i < n) ids[i++] = EOS;
        }
        return Tokens.of(ids);
    }

    static TrainOptions options(Budget budget, long saveEvery, long valEvery) {
        return options(budget, saveEvery, valEvery, 4, 1);
    }

    static TrainOptions options(Budget budget, long saveEvery, long valEvery, int batch, int accum) {
        return new TrainOptions(3e-3, 5, LrSchedule.Kind.COSINE, batch, 32, accum, 1.0, 0.01, 0.9, 0.95, 1e-8, 42,
                valEvery, saveEvery, budget, 5, 0.5);
    }

    Trainer trainer(Path dir, Objective obj, TrainOptions o, long seed) {
        Tokens data = corpus(20_000, 1);
        Validation val = new Validation(Validation.windows(corpus(2_000, 2), 32, 8), 4, 4, 5);
        Transformer model = Transformer.randomInit(CONFIG, seed);
        return new Trainer(model, obj, new WindowSampler(data, o.batch(), o.seqLen(), o.seed(), o.budget().byEpochs()), val, dir, o,
                Reporter.quiet(false));
    }

    static List<Double> losses(Path dir) throws IOException {
        List<Double> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(dir.resolve(MetricsLog.JSONL))) {
            var n = json.readTree(line);
            if (n.has("loss")) out.add(n.get("loss").asDouble());
        }
        return out;
    }

    static double mean(List<Double> xs, int from, int to) {
        return xs.subList(from, to).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    @Test void diffusionLossDecreasesAndValidationImproves() throws IOException {
        Path dir = tmp.resolve("diff");
        Trainer t = trainer(dir, new DiffusionObjective(MASK), options(Budget.steps(80), 0, 40), 7);
        Trainer.Result r = t.run();
        assertThat(r.steps()).isEqualTo(80);
        List<Double> l = losses(dir);
        assertThat(l).hasSize(80);
        // untrained: about ln(300) = 5.7 per token; the per-step estimate is noisy (one t per sequence)
        assertThat(mean(l, 60, 80)).isLessThan(0.85 * mean(l, 0, 10));
        // the fixed-grid validation ELBO is smooth: it must fall between the two evaluations and end well below ln V
        List<Double> val = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(MetricsLog.JSONL)))
            if (line.contains("val_bpt")) val.add(new ObjectMapper().readTree(line).get("val_bpt").asDouble() * Math.log(2));
        assertThat(val).hasSize(2);
        assertThat(val.get(1)).isLessThan(val.get(0));
        assertThat(r.validation().bound()).isTrue();
        assertThat(r.validation().natsPerToken()).isEqualTo(val.get(1), org.assertj.core.api.Assertions.within(1e-9));
        assertThat(r.validation().natsPerToken()).isLessThan(Math.log(VOCAB) * 0.85);
        // the run directory is a loadable model directory with all the trainer files
        for (String f : List.of("config.json", "model.safetensors", "trainer_state.json", "optimizer.safetensors", "metrics.jsonl", "loss.svg"))
            assertThat(dir.resolve(f)).exists();
        assertThat(TrainerState.read(dir).step()).isEqualTo(80);
    }

    @Test void autoregressiveLossDecreases() throws IOException {
        Path dir = tmp.resolve("ar");
        // two micro-batches of 2 per step: the accumulated gradient of the mean loss
        Trainer.Result r = trainer(dir, new AutoregressiveObjective(), options(Budget.steps(40), 0, 0, 2, 2), 7).run();
        assertThat(r.tokensSeen()).isEqualTo(40L * 2 * 2 * 32);
        List<Double> l = losses(dir);
        assertThat(mean(l, 30, 40)).isLessThan(0.7 * mean(l, 0, 5));
        assertThat(r.validation().bound()).isFalse();
        assertThat(r.validation().natsPerToken()).isLessThan(Math.log(VOCAB) * 0.7);
    }

    @Test void sftLearnsAnswersWithoutEverScoringThePrompt() throws IOException {
        // answer = the prompt's two numbers shifted by 100, then EOS padding: learnable only from the prompt
        Rng r = new Rng(5);
        List<org.unmask.data.SftExample> ex = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            int a = 10 + r.nextInt(30), b = 10 + r.nextInt(30);
            ex.add(new org.unmask.data.SftExample(new int[] {1, a, b, 3}, new int[] {a + 100, b + 100, 5, EOS}));
        }
        TrainOptions o = options(Budget.steps(60), 0, 0);
        SftBatches batches = new SftBatches(ex, 8, 16, EOS, 9);
        Validation val = new Validation(Validation.rows(List.of(SftBatches.pad(ex.subList(0, 8), 16, EOS))), 4, 4, 3);
        Path dir = tmp.resolve("sft");
        Transformer model = Transformer.randomInit(CONFIG, 4);
        double before = val.diffusionElbo(model).natsPerToken();
        Trainer.Result res = t(model, batches, val, dir, o).run();
        // the fixed-mask validation ELBO is a smooth measure; the per-step loss is too noisy with 4 answer tokens
        assertThat(res.validation().natsPerToken()).isLessThan(0.7 * before);
        assertThat(res.validation().tokens()).isEqualTo(8 * 4);   // answer slots only (4 per example, no extra padding)
        assertThat(TrainerState.read(dir).objective()).isEqualTo("sft");
    }

    static Trainer t(Transformer model, BatchSource data, Validation val, Path dir, TrainOptions o) {
        return new Trainer(model, new SftObjective(MASK, false), data, val, dir, o, Reporter.quiet(false));
    }

    /** Serves the rows of one fixed batch of clean sequences, {@code per} at a time, in order. */
    static BatchSource fixed(CleanBatch all, int per) {
        return new BatchSource() {
            int next;
            public CleanBatch next() {
                int[] ids = java.util.Arrays.copyOfRange(all.ids(), next * all.seqLen(), (next + per) * all.seqLen());
                next = (next + per) % all.batch();
                return CleanBatch.of(ids, per, all.seqLen());
            }
            public double epochs() { return 0; }
            public long stepsPerEpoch(int micro) { return 1; }
            public com.fasterxml.jackson.databind.JsonNode state() { return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(); }
            public void restore(com.fasterxml.jackson.databind.JsonNode state) {}
        };
    }

    @Test void gradientAccumulationMatchesOneLargeBatch() throws IOException {
        int[] ids = new int[4 * 32];
        corpus(4 * 32, 3).copy(0, ids, 0, ids.length);
        CleanBatch all = CleanBatch.of(ids, 4, 32);
        Transformer big = Transformer.randomInit(CONFIG, 5), small = Transformer.randomInit(CONFIG, 5);
        new Trainer(big, new AutoregressiveObjective(), fixed(all, 4), null, tmp.resolve("big"), options(Budget.steps(3), 0, 0, 4, 1),
                Reporter.quiet(false)).run();
        new Trainer(small, new AutoregressiveObjective(), fixed(all, 2), null, tmp.resolve("small"), options(Budget.steps(3), 0, 0, 2, 2),
                Reporter.quiet(false)).run();
        assertThat(losses(tmp.resolve("small")).get(0)).isCloseTo(losses(tmp.resolve("big")).get(0), org.assertj.core.api.Assertions.within(1e-5));
        float[] a = big.parameters().values(), b = small.parameters().values();
        for (int i = 0; i < a.length; i++) assertThat(b[i]).isCloseTo(a[i], org.assertj.core.api.Assertions.within(1e-5f));
    }

    @Test void aResumedRunKeepsRecordingItsOwnSeed() throws IOException {
        Path dir = tmp.resolve("seed");
        trainer(dir, new DiffusionObjective(MASK), options(Budget.steps(3), 0, 0), 7).run();   // options seed 42
        TrainOptions o = options(Budget.steps(5), 0, 0);
        TrainOptions otherSeed = new TrainOptions(o.lr(), o.warmup(), o.schedule(), o.batch(), o.seqLen(), o.gradAccum(),
                o.clip(), o.weightDecay(), o.beta1(), o.beta2(), o.adamEps(), 1234, o.valEvery(), o.saveEvery(), o.budget(),
                o.nanPatience(), o.nanLrFactor(), o.anneal());
        Trainer more = trainer(dir, new DiffusionObjective(MASK), otherSeed, 7);
        more.resume();
        more.run();
        assertThat(TrainerState.read(dir).step()).isEqualTo(5);
        assertThat(TrainerState.read(dir).seed()).isEqualTo(42);
    }

    @Test void resumeContinuesExactlyAsAnUninterruptedRun() throws IOException {
        int n = 16;
        TrainOptions o = options(Budget.steps(n), 5, 0);
        Path straight = tmp.resolve("straight");
        trainer(straight, new DiffusionObjective(MASK, 1e-3, 0.3, true), o, 3).run();

        Path split = tmp.resolve("split");
        Trainer b1 = trainer(split, new DiffusionObjective(MASK, 1e-3, 0.3, true), o, 3);
        b1.setGradientHook((attempt, grads) -> { if (attempt == n / 2 - 1) b1.requestStop(); });   // "Ctrl-C" during step n/2
        Trainer.Result first = b1.run();
        assertThat(first.stopped()).isTrue();
        assertThat(first.steps()).isEqualTo(n / 2);
        // a fresh trainer with different initial weights: everything must come from the checkpoint
        Trainer b2 = trainer(split, new DiffusionObjective(MASK, 1e-3, 0.3, true), o, 999);
        b2.resume();
        assertThat(b2.step()).isEqualTo(n / 2);
        b2.run();

        // what the trainer controls (data windows, masks, learning rates, counters, RNG and data state) is identical
        TrainerState sa = TrainerState.read(straight), sb = TrainerState.read(split);
        assertThat(sb.step()).isEqualTo(sa.step());
        assertThat(sb.tokensSeen()).isEqualTo(sa.tokensSeen());
        assertThat(sb.rng()).isEqualTo(sa.rng());
        assertThat(sb.data()).isEqualTo(sa.data());
        assertThat(column(split, "lr")).containsExactlyElementsOf(column(straight, "lr"));
        assertThat(column(split, "tokens")).containsExactlyElementsOf(column(straight, "tokens"));
        // and so is the arithmetic: the kernels are bit-reproducible, so the losses and the final parameters match exactly
        assertThat(losses(split)).containsExactlyElementsOf(losses(straight));
        Map<String, float[]> pa = RunCheckpoint.snapshot(loadModel(straight)), pb = RunCheckpoint.snapshot(loadModel(split));
        assertThat(pb.keySet()).isEqualTo(pa.keySet());
        for (var e : pa.entrySet()) assertThat(pb.get(e.getKey())).as(e.getKey()).containsExactly(e.getValue());
    }

    @Test void theWeightAverageFollowsItsRecurrenceIsValidatedAndResumesExactly() throws IOException {
        int n = 12;
        double decay = 0.8;
        TrainOptions o = options(Budget.steps(n), 1, 6);
        Path straight = tmp.resolve("ema-straight");
        Trainer a = trainer(straight, new DiffusionObjective(MASK), o, 5);
        a.averageWeights(decay);
        assertThat(a.run().steps()).isEqualTo(n);
        // the same run one step per process ("Ctrl-C" after each step, then --resume): the weights after each step,
        // from which the average is recomputed by its definition
        double[] avg = flatten(RunCheckpoint.snapshot(Transformer.randomInit(CONFIG, 5)));
        Path stepwise = tmp.resolve("ema-stepwise");
        for (int k = 1; k <= n; k++) {
            Trainer t = trainer(stepwise, new DiffusionObjective(MASK), options(Budget.steps(n), 1, 0), 5);
            t.averageWeights(decay);
            if (k > 1) t.resume();
            t.setGradientHook((attempt, grads) -> t.requestStop());
            t.run();
            double[] w = flatten(RunCheckpoint.snapshot(loadModel(stepwise)));
            double d = Math.min(decay, (1.0 + k) / (10.0 + k));
            for (int i = 0; i < avg.length; i++) avg[i] += (1 - d) * (w[i] - avg[i]);
        }
        double[] saved = flatten(RunCheckpoint.snapshot(loadModel(straight.resolve(WeightAverage.DIR))));
        assertThat(saved.length).isEqualTo(avg.length);
        for (int i = 0; i < avg.length; i++) assertThat(saved[i]).as("average %d", i).isCloseTo(avg[i], org.assertj.core.data.Offset.offset(1e-5));
        // the resumed stepwise run kept its own average exactly as the uninterrupted one
        double[] resumed = flatten(RunCheckpoint.snapshot(loadModel(stepwise.resolve(WeightAverage.DIR))));
        assertThat(resumed).containsExactly(saved);
        assertThat(TrainerState.read(straight).emaDecay()).isEqualTo(decay);
        // the average's directory carries the run's state, which names the objective for eval and generate
        assertThat(TrainerState.read(straight.resolve(WeightAverage.DIR)).objective()).isEqualTo("diffusion");
        // validated beside the weights, and different from them
        List<Double> raw = column(straight, "val_bpt"), averaged = column(straight, "val_bpt_ema");
        assertThat(averaged).hasSameSizeAs(raw).isNotEmpty();
        assertThat(averaged.getLast()).isNotEqualTo(raw.getLast());
    }

    /**
     * --keep-best: OUT/best holds the weights of the lowest validation figure so far (their average's with --ema), a
     * model directory whose own validation gives that figure again, and a resumed run continues from its record.
     */
    /** Random ids: nothing to learn that carries over to other random ids, so memorising them makes validation worse. */
    static Tokens noise(int n, long seed) {
        Rng r = new Rng(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = 10 + r.nextInt(VOCAB - 10);
        return Tokens.of(ids);
    }

    Trainer memorising(Path dir, TrainOptions o, boolean average) {
        Validation val = new Validation(Validation.windows(noise(1_024, 2), 32, 8), 4, 4, 5);
        Trainer t = new Trainer(Transformer.randomInit(CONFIG, 5), new AutoregressiveObjective(),
                new WindowSampler(noise(128, 1), o.batch(), o.seqLen(), o.seed(), false), val, dir, o, Reporter.quiet(false));
        if (average) t.averageWeights(0.7);
        t.keepBest();
        return t;
    }

    /**
     * --keep-best: OUT/best holds the weights of the lowest validation figure so far (their average's with --ema), a
     * model directory whose own validation gives that figure again, and a resumed run continues from its record.
     */
    @Test void theBestValidationsWeightsAreKeptAndSurviveAResume() throws IOException {
        for (boolean average : new boolean[]{false, true}) {
            int n = 30;
            TrainOptions o = new TrainOptions(1e-2, 2, LrSchedule.Kind.COSINE, 4, 32, 1, 1.0, 0.01, 0.9, 0.95, 1e-8, 42,
                    3, 3, Budget.steps(n), 5, 0.5);
            Path straight = tmp.resolve("best-straight-" + average);
            memorising(straight, o, average).run();
            List<Double> figures = column(straight, average ? "val_bpt_ema" : "val_bpt"), steps = new ArrayList<>();
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(straight.resolve(MetricsLog.JSONL)))
                if (line.contains("val_bpt")) steps.add(json.readTree(line).get("step").asDouble());
            int argmin = 0;
            for (int i = 1; i < figures.size(); i++) if (figures.get(i) < figures.get(argmin)) argmin = i;
            assertThat(figures).hasSize(n / 3);
            assertThat(argmin).as("the best is not the last validation: %s", figures).isLessThan(figures.size() - 1);
            var record = json.readTree(straight.resolve(RunCheckpoint.BEST).resolve(RunCheckpoint.BEST_RECORD).toFile());
            assertThat(record.get("val_bpt").asDouble()).isEqualTo(figures.get(argmin));
            assertThat(record.get("step").asDouble()).isEqualTo(steps.get(argmin));
            assertThat(record.get("weights").asText()).isEqualTo(average ? "average" : "trained");
            // the kept directory is the model that scored it, and says which objective it was trained with
            Path best = straight.resolve(RunCheckpoint.BEST);
            Validation val = new Validation(Validation.windows(noise(1_024, 2), 32, 8), 4, 4, 5);
            assertThat(val.autoregressiveNll(loadModel(best)).bitsPerToken()).isCloseTo(figures.get(argmin), org.assertj.core.data.Offset.offset(1e-9));
            assertThat(TrainerState.autoregressive(best)).isTrue();
            assertThat(TrainerState.read(best).step()).isEqualTo((long) (double) steps.get(argmin));

            // the same run stopped during step 15 and resumed keeps the same best
            Path split = tmp.resolve("best-split-" + average);
            Trainer b1 = memorising(split, o, average);
            b1.setGradientHook((attempt, grads) -> { if (attempt == 14) b1.requestStop(); });
            b1.run();
            Trainer b2 = memorising(split, o, average);
            b2.resume();
            b2.run();
            assertThat(Files.readString(split.resolve(RunCheckpoint.BEST).resolve(RunCheckpoint.BEST_RECORD)))
                    .isEqualTo(Files.readString(best.resolve(RunCheckpoint.BEST_RECORD)));
            assertThat(flatten(RunCheckpoint.snapshot(loadModel(split.resolve(RunCheckpoint.BEST)))))
                    .containsExactly(flatten(RunCheckpoint.snapshot(loadModel(best))));
        }
    }

    static double[] flatten(Map<String, float[]> tensors) {
        int n = tensors.values().stream().mapToInt(a -> a.length).sum(), at = 0;
        double[] out = new double[n];
        for (float[] a : tensors.values()) for (float v : a) out[at++] = v;
        return out;
    }

    static List<Double> column(Path dir, String field) throws IOException {
        List<Double> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(dir.resolve(MetricsLog.JSONL))) {
            var n = json.readTree(line);
            if (n.has(field)) out.add(n.get(field).asDouble());
        }
        return out;
    }

    @Test void nanGradientsAreSkippedAndRepeatedOnesRestoreTheCheckpointWithALowerRate() throws IOException {
        Path dir = tmp.resolve("nan");
        Trainer t = trainer(dir, new DiffusionObjective(MASK), options(Budget.steps(12), 4, 0), 7);
        // attempt 2: one bad step (skipped); attempts 6..10: five in a row (after 5 good steps) → restore step 4
        t.setGradientHook((attempt, grads) -> {
            if (attempt == 2 || (attempt >= 6 && attempt <= 10)) grads[attempt == 2 ? 0 : grads.length / 2] = Float.NaN;
        });
        Trainer.Result r = t.run();
        assertThat(r.steps()).isEqualTo(12);
        assertThat(r.nanSkipped()).isEqualTo(6);
        assertThat(r.nanRecoveries()).isEqualTo(1);
        TrainerState s = TrainerState.read(dir);
        assertThat(s.lrScale()).isEqualTo(0.5);
        assertThat(s.nanSkipped()).isEqualTo(6);
        // after the recovery the logged rate is half the schedule's
        var json = new ObjectMapper();
        List<String> lines = Files.readAllLines(dir.resolve(MetricsLog.JSONL)).stream().filter(l -> l.contains("\"loss\"")).toList();
        assertThat(lines).hasSize(12);   // steps 5..6 logged before the failure were rolled back and redone
        var last = json.readTree(lines.get(11));
        assertThat(last.get("step").asLong()).isEqualTo(12);
        assertThat(last.get("lr").asDouble()).isCloseTo(0.5 * s.schedule().lr(11, (11.0 - 5) / (12 - 5)),
                org.assertj.core.api.Assertions.within(1e-12));
        for (float[] a : RunCheckpoint.snapshot(loadModel(dir)).values())
            for (float v : a) assertThat(v).isFinite();
    }

    static Transformer loadModel(Path dir) throws IOException {
        try (var c = org.unmask.model.io.Checkpoint.open(dir)) {
            return Transformer.fromWeights(c.config(), c.tensors(), true);
        }
    }

    @Test void aNonFiniteModelIsNeverSavedAndTheLastCheckpointSurvives() throws IOException {
        Path dir = tmp.resolve("guard");
        Trainer t = trainer(dir, new DiffusionObjective(MASK), options(Budget.steps(3), 0, 0), 7);
        t.run();
        byte[] before = Files.readAllBytes(dir.resolve("model.safetensors"));
        Transformer model = Transformer.randomInit(CONFIG, 1);
        model.parameters().values()[17] = Float.POSITIVE_INFINITY;
        AdamW opt = new AdamW(model.parameters(), 0.9, 0.95, 1e-8, 0);
        assertThatThrownBy(() -> RunCheckpoint.save(dir, model, opt, TrainerState.read(dir), null))
                .hasMessageContaining("not finite");
        assertThat(Files.readAllBytes(dir.resolve("model.safetensors"))).isEqualTo(before);
    }

    @Test void aCrashDuringASaveLeavesTheLastCheckpointLoadable() throws IOException {
        Path dir = tmp.resolve("crash");
        trainer(dir, new DiffusionObjective(MASK), options(Budget.steps(4), 0, 0), 7).run();
        Map<String, float[]> saved = RunCheckpoint.snapshot(loadModel(dir));
        // crash while writing the new version: a half-written sibling is left behind
        Path staging = dir.resolveSibling(".crash.saving-5eed");
        Files.createDirectories(staging);
        Files.write(staging.resolve("model.safetensors"), new byte[] {1, 2, 3});
        Trainer resumed = trainer(dir, new DiffusionObjective(MASK), options(Budget.steps(4), 0, 0), 99);
        resumed.resume();
        assertThat(resumed.step()).isEqualTo(4);
        // crash between the two renames: only the previous version exists, under its temporary name
        Path previous = dir.resolveSibling(".crash.old-0d1d");
        Files.move(dir, previous);
        assertThat(RunCheckpoint.exists(dir)).isTrue();
        Map<String, float[]> recovered = RunCheckpoint.snapshot(loadModel(dir));
        for (var e : saved.entrySet()) assertThat(recovered.get(e.getKey())).isEqualTo(e.getValue());
        // the next save replaces the debris
        Trainer more = trainer(dir, new DiffusionObjective(MASK), options(Budget.steps(6), 0, 0), 99);
        more.resume();
        more.run();
        assertThat(TrainerState.read(dir).step()).isEqualTo(6);
        assertThat(Arrays.asList(Files.exists(staging), Files.exists(previous))).containsOnly(false);
        try (var siblings = Files.list(tmp)) {
            assertThat(siblings.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".crash."));
        }
    }
}
