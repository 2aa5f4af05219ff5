package org.unmask.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.ModelConfig;
import org.unmask.text.HfTokenizer;
import org.unmask.train.Budget;
import org.unmask.train.DiffusionObjective;
import org.unmask.train.ObjectiveKind;
import org.unmask.train.LrSchedule;
import org.unmask.train.TrainerState;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainCommandTest {
    @TempDir Path tmp;

    record Run(int code, String out, String err) {}

    Run unmask(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            var cl = Main.commandLine();   // created after the redirection so its writers use the captured streams
            cl.setErr(new PrintWriter(System.err, true));
            cl.setOut(new PrintWriter(System.out, true));
            int code = cl.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    Path corpus() throws Exception {
        StringBuilder s = new StringBuilder();
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "park", "with", "ball"};
        var r = new java.util.Random(1);
        for (int d = 0; d < 200; d++) {
            for (int w = 0; w < 30; w++) s.append(words[r.nextInt(words.length)]).append(w % 10 == 9 ? ". " : " ");
            s.append("\n\n");
        }
        Path f = tmp.resolve("corpus.txt");
        Files.writeString(f, s);
        return f;
    }

    /** The last validation figure (bits per token) a run wrote to its metrics.jsonl. */
    private static double lastValidation(Path run) throws Exception {
        return lastMetric(run, "val_bpt");
    }

    /** The last value of {@code field} in the run's metrics, NaN when no line has it. */
    private static double lastMetric(Path run, String field) throws Exception {
        double last = Double.NaN;
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            var n = new ObjectMapper().readTree(line);
            if (n.has(field)) last = n.get(field).asDouble();
        }
        return last;
    }

    /** The bits per token {@code unmask eval} printed. */
    private static double bitsPerToken(Run eval) {
        return Double.parseDouble(eval.out().replaceAll("(?s).*bits_per_token (\\S+).*", "$1"));
    }

    Path config() throws Exception {
        Path f = tmp.resolve("config.json");
        new ModelConfig(32, 2, 4, 4, 64, 300, 300, 64, 10000.0, 1e-5, false, 2, 0, 0, 1).write(f);
        return f;
    }

    @Test void diffusionDrawsTheAblationsMaskingRatesUnlessToldOtherwise() {
        assertThat(TrainCommand.maskRates(null)).containsExactly(0.2, 0.8);
        assertThat(TrainCommand.maskRates("0.001, 1")).containsExactly(0.001, 1.0);
        assertThatThrownBy(() -> TrainCommand.maskRates("0.9,0.2"))
                .hasMessageContaining("--mask-rate-range").hasMessageContaining("0.9,0.2");
    }

    /** The masking rates travel with the checkpoint: a bare --resume keeps them whatever today's default is. */
    @Test void resumeKeepsTheCheckpointsMaskingRates() throws Exception {
        Path corpus = corpus(), config = config(), out = tmp.resolve("rates"), cache = tmp.resolve("cache");
        String[] common = {"train", "--corpus", corpus.toString(), "--out", out.toString(), "--batch", "2", "--seq-len", "32",
                "--val-windows", "2", "--val-grid", "2", "--cache", cache.toString(), "--objective", "block", "--block-size", "4"};
        Run first = unmask(concat(common, "--config", config.toString(), "--max-steps", "2", "--mask-rate-range", "0.1,0.9"));
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(TrainerState.read(out).maskRates()).containsExactly(0.1, 0.9);
        Run resumed = unmask(concat(common, "--resume", "--max-steps", "3"));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).doesNotContain("masking rates");
        assertThat(TrainerState.read(out).maskRates()).containsExactly(0.1, 0.9);
        // a checkpoint from before the rates were saved: today's default, said so
        removeStateField(out, "mask_rates");
        Run old = unmask(concat(common, "--resume", "--max-steps", "4"));
        assertThat(old.code()).as(old.err()).isZero();
        assertThat(old.err()).contains("does not record its masking rates").contains("[0.2, 0.8]");
        assertThat(TrainerState.read(out).maskRates()).containsExactly(0.2, 0.8);
        Run changed = unmask(concat(common, "--resume", "--max-steps", "5", "--mask-rate-range", "0.3,0.7"));
        assertThat(changed.code()).as(changed.err()).isZero();
        assertThat(changed.err()).contains("masking rates change from the checkpoint's [0.2, 0.8] to [0.3, 0.7]");
    }

    /** Makes {@code out}'s checkpoint look like one written before {@code field} was saved. */
    private static void removeStateField(Path out, String field) throws Exception {
        Path state = out.resolve(TrainerState.FILE);
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(state.toFile());
        json.remove(field);
        new ObjectMapper().writeValue(state.toFile(), json);
    }

    /** So does the choice of stratified masking rates: a bare --resume keeps it, --no-stratified changes it and says so. */
    @Test void resumeKeepsStratifiedMaskingRates() throws Exception {
        Path corpus = corpus(), config = config(), out = tmp.resolve("strat"), cache = tmp.resolve("cache");
        String[] common = {"train", "--corpus", corpus.toString(), "--out", out.toString(), "--batch", "2", "--seq-len", "32",
                "--val-windows", "2", "--val-grid", "2", "--cache", cache.toString()};
        Run first = unmask(concat(common, "--config", config.toString(), "--max-steps", "2", "--stratified"));
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(TrainerState.read(out).stratified()).isTrue();
        Run resumed = unmask(concat(common, "--resume", "--max-steps", "3"));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).doesNotContain("stratified");
        assertThat(TrainerState.read(out).stratified()).isTrue();
        Run changed = unmask(concat(common, "--resume", "--max-steps", "4", "--no-stratified"));
        assertThat(changed.code()).as(changed.err()).isZero();
        assertThat(changed.err()).contains("masking rates change from stratified over the batch to independent draws");
        assertThat(TrainerState.read(out).stratified()).isFalse();
        // a checkpoint from before the choice was saved: independent draws, said so
        removeStateField(out, "stratified");
        Run old = unmask(concat(common, "--resume", "--max-steps", "5"));
        assertThat(old.code()).as(old.err()).isZero();
        assertThat(old.err()).contains("does not record whether its masking rates were stratified");
        assertThat(TrainerState.read(out).stratified()).isFalse();
        // an AR run masks nothing
        Run ar = unmask("train", "--corpus", corpus.toString(), "--out", tmp.resolve("ar-strat").toString(), "--config",
                config.toString(), "--objective", "ar", "--stratified", "--max-steps", "1", "--cache", cache.toString());
        assertThat(ar.code()).isNotZero();
        assertThat(ar.err()).contains("--stratified does not apply to --objective ar");
    }

    /**
     * The batch shape and the intervals travel with the checkpoint: a bare --resume trains on the same windows and
     * validates and saves as often as the run did; a different shape is taken but said to break the exact resume.
     */
    @Test void resumeKeepsTheBatchShapeAndIntervals() throws Exception {
        Path corpus = corpus(), config = config(), out = tmp.resolve("shape"), cache = tmp.resolve("cache");
        String[] common = {"train", "--corpus", corpus.toString(), "--out", out.toString(), "--cache", cache.toString()};
        Run first = unmask(concat(common, "--config", config.toString(), "--max-steps", "2", "--batch", "3", "--seq-len", "24",
                "--grad-accum", "2", "--clip", "0.5", "--weight-decay", "0.01", "--val-every", "3", "--save-every", "1",
                "--val-windows", "5", "--val-grid", "2"));
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(TrainerState.read(out).settings()).isEqualTo(new org.unmask.train.RunSettings(3, 24, 2, 0.5, 0.01, 3, 1, 5, 2, null));
        Run resumed = unmask(concat(common, "--resume", "--max-steps", "3"));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).doesNotContain("differs").contains("validation at step 3").contains("120 tokens");
        // held-out tokens of the training corpus are no documents: bits per token only
        assertThat(resumed.err()).doesNotContain("bits/byte");
        assertThat(lastMetric(out, "val_bpb")).isNaN();
        TrainerState after = TrainerState.read(out);
        assertThat(after.tokensSeen()).isEqualTo(3L * 3 * 24 * 2);   // three steps of 3 × 24 tokens × 2 micro-batches
        assertThat(after.settings()).isEqualTo(new org.unmask.train.RunSettings(3, 24, 2, 0.5, 0.01, 3, 1, 5, 2, null));
        Run reshaped = unmask(concat(common, "--resume", "--max-steps", "4", "--batch", "2", "--val-every", "0"));
        assertThat(reshaped.code()).as(reshaped.err()).isZero();
        assertThat(reshaped.err()).contains("--batch 2 differs from the run's 3").contains("not an exact continuation");
        assertThat(TrainerState.read(out).settings().batch()).isEqualTo(2);
        assertThat(TrainerState.read(out).tokensSeen()).isEqualTo(after.tokensSeen() + 2L * 24 * 2);
        // a checkpoint from before the settings were saved: the flags and defaults apply, and the note says so
        removeStateField(out, "settings");
        Run old = unmask(concat(common, "--resume", "--max-steps", "5", "--seq-len", "24"));
        assertThat(old.code()).as(old.err()).isZero();
        assertThat(old.err()).contains("predates saved batch shapes and intervals");
        assertThat(TrainerState.read(out).settings().batch()).isEqualTo(8);
    }

    /** The ablation's knobs: MDLM's SUBS head travels in config.json, --init-std scales the random matrices. */
    @Test void neverPredictMaskAndInitStdShapeTheModelTrainedFromScratch() throws Exception {
        Path corpus = corpus(), config = config(), out = tmp.resolve("subs"), cache = tmp.resolve("cache");
        String[] common = {"train", "--corpus", corpus.toString(), "--batch", "2", "--seq-len", "32", "--val-windows", "2",
                "--val-grid", "2", "--cache", cache.toString(), "--lr", "1e-6", "--warmup", "1"};
        Run run = unmask(concat(common, "--config", config.toString(), "--out", out.toString(), "--max-steps", "1",
                "--never-predict-mask", "--init-std", "0.08"));
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(ModelConfig.read(out.resolve("config.json")).neverPredictMask()).isTrue();
        try (var ckpt = org.unmask.model.io.Checkpoint.open(out)) {
            var emb = ckpt.tensors().get(ckpt.config().family().embedding());
            double sq = 0;
            for (long i = 0; i < emb.size(); i++) sq += (double) emb.get(i) * emb.get(i);
            assertThat(Math.sqrt(sq / emb.size())).isCloseTo(0.08, org.assertj.core.data.Offset.offset(0.004));
        }
        Run resumed = unmask(concat(common, "--out", out.toString(), "--resume", "--max-steps", "2"));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(ModelConfig.read(out.resolve("config.json")).neverPredictMask()).isTrue();

        Run badStd = unmask(concat(common, "--config", config.toString(), "--out", tmp.resolve("bad").toString(), "--init-std", "0"));
        assertThat(badStd.code()).isNotZero();
        assertThat(badStd.err()).contains("--init-std must be a positive number");
        Run stdOnResume = unmask(concat(common, "--out", out.toString(), "--resume", "--max-steps", "3", "--init-std", "0.05"));
        assertThat(stdOnResume.code()).isNotZero();
        assertThat(stdOnResume.err()).contains("--init-std").contains("resumed run");
        Run ar = unmask(concat(common, "--config", config.toString(), "--out", tmp.resolve("ar").toString(), "--objective", "ar",
                "--never-predict-mask"));
        assertThat(ar.code()).isNotZero();
        assertThat(ar.err()).contains("--never-predict-mask belongs to the diffusion objectives");
        Run plain = unmask(concat(common, "--config", config.toString(), "--out", tmp.resolve("plain").toString(), "--max-steps", "1"));
        assertThat(plain.code()).as(plain.err()).isZero();
        Run added = unmask(concat(common, "--out", tmp.resolve("plain").toString(), "--resume", "--max-steps", "2", "--never-predict-mask"));
        assertThat(added.code()).isNotZero();
        assertThat(added.err()).contains("cannot be added on --resume");
    }

    /** --loss-weighting travels with the checkpoint like the masking rates. */
    @Test void theLossWeightingIsSavedAndKeptOnResume() throws Exception {
        Path corpus = corpus(), config = config(), out = tmp.resolve("mean"), cache = tmp.resolve("cache");
        String[] common = {"train", "--corpus", corpus.toString(), "--out", out.toString(), "--batch", "2", "--seq-len", "32",
                "--val-windows", "2", "--val-grid", "2", "--cache", cache.toString()};
        Run first = unmask(concat(common, "--config", config.toString(), "--max-steps", "1", "--loss-weighting", "mean"));
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(TrainerState.read(out).lossWeighting()).isEqualTo(org.unmask.train.LossWeighting.MEAN);
        Run resumed = unmask(concat(common, "--resume", "--max-steps", "2"));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(TrainerState.read(out).lossWeighting()).isEqualTo(org.unmask.train.LossWeighting.MEAN);
        Run changed = unmask(concat(common, "--resume", "--max-steps", "3", "--loss-weighting", "elbo"));
        assertThat(changed.code()).as(changed.err()).isZero();
        assertThat(changed.err()).contains("loss weighting changes from the checkpoint's mean to elbo");
        assertThat(TrainerState.read(out).lossWeighting()).isEqualTo(org.unmask.train.LossWeighting.ELBO);
        Run bad = unmask(concat(common, "--resume", "--max-steps", "4", "--loss-weighting", "sum"));
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("--loss-weighting must be elbo or mean, got 'sum'");
        Run ar = unmask("train", "--corpus", corpus.toString(), "--out", tmp.resolve("ar").toString(), "--config", config.toString(),
                "--cache", cache.toString(), "--objective", "ar", "--loss-weighting", "mean");
        assertThat(ar.code()).isNotZero();
        assertThat(ar.err()).contains("--loss-weighting applies to --objective diffusion only");
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test void trainsResumesAndFineTunesEndToEnd() throws Exception {
        Path corpus = corpus(), config = config(), out = tmp.resolve("run"), cache = tmp.resolve("cache");
        Run first = unmask("train", "--corpus", corpus.toString(), "--config", config.toString(), "--out", out.toString(),
                "--max-steps", "4", "--batch", "2", "--seq-len", "32", "--val-windows", "2", "--val-grid", "2",
                "--cache", cache.toString(), "--save-every", "2", "--lr", "3e-4", "--warmup", "1", "--schedule", "wsd");
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("done: 4 steps").contains("validation:").contains("saved:");
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "trainer_state.json", "optimizer.safetensors",
                "metrics.jsonl", "loss.svg"))
            assertThat(out.resolve(f)).exists();
        // the special ids come from the trained tokenizer
        HfTokenizer tok = HfTokenizer.load(out.resolve("tokenizer.json"));
        ModelConfig saved = ModelConfig.read(out.resolve("config.json"));
        assertThat(saved.maskTokenId()).isEqualTo(tok.tokenId("<|mdm_mask|>").getAsInt());
        assertThat(saved.eosTokenId()).isEqualTo(tok.tokenId("<|endoftext|>").getAsInt());
        assertThat(saved.vocabSize()).isEqualTo(tok.vocabSize());

        Run again = unmask("train", "--corpus", corpus.toString(), "--config", config.toString(), "--out", out.toString(),
                "--max-steps", "4", "--cache", cache.toString());
        assertThat(again.code()).isNotZero();
        assertThat(again.err()).contains("already holds a training run").contains("--resume");

        Run resumed = unmask("train", "--corpus", corpus.toString(), "--out", out.toString(), "--max-steps", "6", "--batch", "2",
                "--seq-len", "32", "--val-windows", "2", "--val-grid", "2", "--cache", cache.toString(), "--resume");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("resuming").contains("at step 4");
        // a bare --resume keeps the checkpoint's schedule (peak 3e-4, warmup 1, wsd), not the command's defaults
        assertThat(resumed.err()).doesNotContain("schedule differs");
        assertThat(TrainerState.read(out).schedule()).isEqualTo(LrSchedule.of(LrSchedule.Kind.WSD, 3e-4, 1));
        assertThat(TrainerState.read(out).step()).isEqualTo(6);
        List<Long> steps = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            var n = new ObjectMapper().readTree(line);
            if (n.has("loss")) steps.add(n.get("step").asLong());
        }
        assertThat(steps).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        // the budget is saved: a bare --resume of the finished run trains no further (without it: 1000 steps)
        assertThat(TrainerState.read(out).budget()).isEqualTo(Budget.steps(6));
        Run bare = unmask("train", "--corpus", corpus.toString(), "--out", out.toString(), "--batch", "2",
                "--seq-len", "32", "--val-windows", "2", "--val-grid", "2", "--cache", cache.toString(), "--resume");
        assertThat(bare.code()).as(bare.err()).isZero();
        assertThat(TrainerState.read(out).step()).isEqualTo(6);

        Path sft = tmp.resolve("sft.jsonl");
        Files.writeString(sft, "{\"prompt\": \"the cat\", \"response\": \"sat on a mat\"}\n"
                + "{\"messages\": [{\"role\": \"user\", \"content\": \"a dog\"}, {\"role\": \"assistant\", \"content\": \"ran to the park\"}]}\n");
        Run tuned = unmask("sft", "--model", out.toString(), "--data", sft.toString(), "--out", tmp.resolve("sft").toString(),
                "--max-steps", "2", "--batch", "2", "--seq-len", "64", "--cache", cache.toString());
        assertThat(tuned.code()).as(tuned.err()).isZero();
        assertThat(TrainerState.read(tmp.resolve("sft")).objective()).isEqualTo("sft");
        assertThat(tmp.resolve("sft").resolve("tokenizer.json")).exists();
        // the fine-tuned model carries the chat template its examples were rendered with
        var template = org.unmask.text.ChatTemplate.load(tmp.resolve("sft"));
        assertThat(java.nio.file.Files.readString(tmp.resolve("sft").resolve("tokenizer_config.json"))).contains("chat_template");
        // rendered, it is the prompt text the SFT examples were built from
        assertThat(template.render(java.util.List.of(new org.unmask.text.ChatMessage("user", "Hi")), true))
                .isEqualTo(org.unmask.data.SftExamples.TEMPLATE.prompt(java.util.List.of(new org.unmask.text.ChatMessage("user", "Hi"))));
    }

    @Test void arObjectiveAndBadOptionsGiveClearErrors() throws Exception {
        Path corpus = corpus(), config = config(), cache = tmp.resolve("cache");
        Run ar = unmask("train", "--corpus", corpus.toString(), "--config", config.toString(), "--out", tmp.resolve("ar").toString(),
                "--objective", "ar", "--time", "3s", "--batch", "2", "--seq-len", "32", "--val-windows", "2", "--cache", cache.toString());
        assertThat(ar.code()).as(ar.err()).isZero();
        assertThat(ar.out()).contains("exact AR NLL");
        assertThat(TrainerState.read(tmp.resolve("ar")).objective()).isEqualTo("ar");

        Run badTime = unmask("train", "--corpus", corpus.toString(), "--out", tmp.resolve("x").toString(), "--time", "soon");
        assertThat(badTime.code()).isNotZero();
        assertThat(badTime.err()).contains("--time");
        Run badObjective = unmask("train", "--corpus", corpus.toString(), "--config", config.toString(), "--out",
                tmp.resolve("y").toString(), "--objective", "gan", "--cache", cache.toString());
        assertThat(badObjective.err()).contains("Invalid value for option '--objective': unknown objective 'gan' (known: diffusion, ar, block)");
        Run noResume = unmask("train", "--corpus", corpus.toString(), "--out", tmp.resolve("z").toString(), "--resume");
        assertThat(noResume.err()).contains("no checkpoint to resume");
        Run tooLong = unmask("train", "--corpus", corpus.toString(), "--config", config.toString(), "--out",
                tmp.resolve("w").toString(), "--seq-len", "1000", "--cache", cache.toString());
        assertThat(tooLong.err()).contains("--seq-len 1000 exceeds");
    }

    @Test void trainingValidationAndEvalPrintTheSameElbo() throws Exception {
        Path config = config(), out = tmp.resolve("run"), cache = tmp.resolve("cache");
        Run train = unmask("train", "--corpus", "default", "--config", config.toString(), "--out", out.toString(),
                "--max-steps", "2", "--batch", "2", "--seq-len", "32", "--val-windows", "3", "--val-grid", "4",
                "--cache", cache.toString());
        assertThat(train.code()).as(train.err()).isZero();
        double trained = lastValidation(out);
        Run eval = unmask("eval", "--model", out.toString(), "--corpus", "default:valid", "--seq-len", "32",
                "--max-chunks", "3", "--grid", "4");
        assertThat(eval.code()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("chunks 3 tokens 96");
        double evaluated = bitsPerToken(eval);
        // one estimator, the same windows and the same mask seed: the same number
        assertThat(evaluated).isCloseTo(trained, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(trained).isBetween(1.0, Math.log(300) / Math.log(2) + 1);
    }

    @Test void aSeparateValidationCorpusIsWhatTrainingValidatesOn() throws Exception {
        Path corpus = corpus(), config = config(), out = tmp.resolve("valid-elsewhere"), cache = tmp.resolve("cache");
        Run train = unmask("train", "--corpus", corpus.toString(), "--valid-corpus", "default:valid", "--config",
                config.toString(), "--out", out.toString(), "--max-steps", "2", "--batch", "2", "--seq-len", "32",
                "--val-windows", "3", "--val-grid", "4", "--cache", cache.toString());
        assertThat(train.code()).as(train.err()).isZero();
        assertThat(train.err()).contains("validation: default:valid");
        double trained = lastValidation(out);
        Run eval = unmask("eval", "--model", out.toString(), "--corpus", "default:valid", "--seq-len", "32",
                "--max-chunks", "3", "--grid", "4");
        assertThat(eval.code()).as(eval.err()).isZero();
        double evaluated = bitsPerToken(eval);
        assertThat(evaluated).isCloseTo(trained, org.assertj.core.api.Assertions.within(1e-6));
        // and in bits per byte, with the validation corpus's tokens per byte as eval counts them
        double perByte = Double.parseDouble(eval.out().replaceAll("(?s).*bits_per_byte (\\S+).*", "$1"));
        assertThat(lastMetric(out, "val_bpb")).isCloseTo(perByte, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(train.err()).contains(String.format(java.util.Locale.ROOT, " = %.4f bits/byte", perByte));

        // saved with the run, so that a bare --resume validates there again and trains on all of --corpus, as before
        assertThat(TrainerState.read(out).settings().validCorpus()).isEqualTo("default:valid");
        long seen = TrainerState.read(out).tokensSeen();
        Run resumed = unmask("train", "--corpus", corpus.toString(), "--out", out.toString(), "--resume", "--max-steps", "3",
                "--cache", cache.toString());
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("validation: default:valid").doesNotContain("differs");
        assertThat(TrainerState.read(out).tokensSeen()).isEqualTo(seen + 2 * 32);
        Path other = Files.writeString(tmp.resolve("other.txt"), "the dog sat on the mat with a ball. ".repeat(20));
        // given relative to the working directory, saved absolute, so that a resume from elsewhere finds it
        Path relative = Path.of("").toAbsolutePath().relativize(other.toAbsolutePath());
        Run heldOut = unmask("train", "--corpus", corpus.toString(), "--out", out.toString(), "--resume", "--max-steps", "4",
                "--valid-corpus", relative.toString(), "--cache", cache.toString());
        assertThat(heldOut.code()).as(heldOut.err()).isZero();
        assertThat(heldOut.err()).contains("differs from the run's default:valid").contains("not an exact continuation");
        assertThat(TrainerState.read(out).settings().validCorpus()).isEqualTo(other.toAbsolutePath().normalize().toString());

        // the training corpus travels with the data position: a bare --resume needs no --corpus, other data is noted
        Run bare = unmask("train", "--out", out.toString(), "--resume", "--max-steps", "5", "--cache", cache.toString());
        assertThat(bare.code()).as(bare.err()).isZero();
        assertThat(bare.err()).contains("training tokens from " + corpus.toAbsolutePath().normalize()).doesNotContain("not an exact");
        Run otherData = unmask("train", "--corpus", other.toString(), "--valid-corpus", "default:valid", "--out", out.toString(),
                "--resume", "--max-steps", "6", "--cache", cache.toString());
        assertThat(otherData.code()).as(otherData.err()).isZero();
        assertThat(otherData.err()).contains("note: the training corpus has").contains("not an exact continuation");
        Run none = unmask("train", "--config", config.toString(), "--out", tmp.resolve("no-corpus").toString(), "--cache", cache.toString());
        assertThat(none.code()).isNotZero();
        assertThat(none.err()).contains("missing --corpus");

        Run itself = unmask("train", "--corpus", corpus.toString(), "--valid-corpus", corpus.toString(), "--config",
                config.toString(), "--out", tmp.resolve("itself").toString(), "--max-steps", "1", "--cache", cache.toString());
        assertThat(itself.code()).isNotZero();
        assertThat(itself.err()).contains("--valid-corpus " + corpus + " is the training corpus itself");
    }

    /** --keep-best writes OUT/best, which eval scores as training did, and a bare --resume goes on keeping it. */
    @Test void keepBestKeepsAModelDirectoryThatEvalScoresAsTrainingDid() throws Exception {
        Path corpus = corpus(), config = config(), out = tmp.resolve("best"), cache = tmp.resolve("cache");
        Run train = unmask("train", "--corpus", corpus.toString(), "--valid-corpus", "default:valid", "--config", config.toString(),
                "--objective", "ar", "--out", out.toString(), "--max-steps", "4", "--batch", "2", "--seq-len", "32", "--val-every", "2", "--val-windows", "3",
                "--keep-best", "--cache", cache.toString());
        assertThat(train.code()).as(train.err()).isZero();
        assertThat(train.err()).contains("the best so far, kept in " + out.resolve("best"));
        var record = new ObjectMapper().readTree(out.resolve("best").resolve("best.json").toFile());
        Run eval = unmask("eval", "--model", out.resolve("best").toString(), "--corpus", "default:valid", "--seq-len", "32",
                "--max-chunks", "3");
        assertThat(eval.code()).as(eval.err()).isZero();
        assertThat(eval.err()).contains("exact next-token NLL");   // the kept directory names its objective
        assertThat(bitsPerToken(eval)).isCloseTo(record.get("val_bpt").asDouble(), org.assertj.core.api.Assertions.within(1e-6));
        Run resumed = unmask("train", "--out", out.toString(), "--resume", "--max-steps", "8", "--cache", cache.toString());
        assertThat(resumed.code()).as(resumed.err()).isZero();
        var after = new ObjectMapper().readTree(out.resolve("best").resolve("best.json").toFile());
        assertThat(after.get("val_bpt").asDouble()).isLessThanOrEqualTo(record.get("val_bpt").asDouble());
        assertThat(after.get("val_bpt").asDouble()).isEqualTo(java.util.Collections.min(validations(out)));
    }

    private static List<Double> validations(Path run) throws Exception {
        List<Double> all = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            var n = new ObjectMapper().readTree(line);
            if (n.has("val_bpt")) all.add(n.get("val_bpt").asDouble());
        }
        return all;
    }

    @Test void blockDiffusionFromAnArRunAndEveryCommandUsesItsBlocks() throws Exception {
        Path config = config(), ar = tmp.resolve("ar"), block = tmp.resolve("block"), cache = tmp.resolve("cache");
        Run base = unmask("train", "--corpus", "default", "--config", config.toString(), "--out", ar.toString(),
                "--objective", "ar", "--max-steps", "1", "--batch", "2", "--seq-len", "16", "--val-windows", "2", "--cache", cache.toString());
        assertThat(base.code()).as(base.err()).isZero();
        Run adapted = unmask("train", "--corpus", "default", "--init-from", ar.toString(), "--out", block.toString(),
                "--objective", "block", "--block-size", "4", "--mask-rate-range", "0.3,0.8", "--max-steps", "2", "--batch", "2",
                "--seq-len", "16", "--val-windows", "2", "--val-grid", "2", "--cache", cache.toString());
        assertThat(adapted.code()).as(adapted.err()).isZero();
        ModelConfig c = ModelConfig.read(block.resolve("config.json"));
        assertThat(c.blockSize()).isEqualTo(4);
        assertThat(c.logitShift()).isTrue();   // AR → block diffusion keeps next-token prediction
        assertThat(Files.readString(block.resolve("config.json"))).contains("\"block_size\" : 4");
        assertThat(TrainerState.read(block).objective()).isEqualTo("block");

        // eval prints the block ELBO training's validation printed
        double trained = lastValidation(block);
        Run eval = unmask("eval", "--model", block.toString(), "--corpus", "default:valid", "--seq-len", "16",
                "--max-chunks", "2", "--grid", "2");
        assertThat(eval.code()).as(eval.err()).isZero();
        double evaluated = bitsPerToken(eval);
        assertThat(evaluated).isCloseTo(trained, org.assertj.core.api.Assertions.within(1e-6));

        Run resumed = unmask("train", "--corpus", "default", "--out", block.toString(), "--resume", "--max-steps", "3",
                "--batch", "2", "--seq-len", "16", "--val-windows", "2", "--cache", cache.toString());
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(TrainerState.read(block).step()).isEqualTo(3);

        Run gen = unmask("generate", "--model", block.toString(), "--prompt-ids", "5 6 7", "--max-tokens", "10");
        assertThat(gen.code()).as(gen.err()).isZero();
        Run score = unmask("score", "--model", block.toString(), "--prompt-ids", "5 6 7", "--answer-ids", "8 9", "--mc-num", "2");
        assertThat(score.code()).as(score.err()).isZero();
        Run wrongBlocks = unmask("generate", "--model", block.toString(), "--prompt-ids", "5 6 7", "--gen-length", "8", "--block-length", "8");
        assertThat(wrongBlocks.code()).isNotZero();
        assertThat(wrongBlocks.err()).contains("block_size 4").contains("--block-length");

        Run noSize = unmask("train", "--corpus", "default", "--config", config.toString(), "--out", tmp.resolve("n").toString(),
                "--objective", "block", "--cache", cache.toString());
        assertThat(noSize.err()).contains("--block-size");
        Run stray = unmask("train", "--corpus", "default", "--config", config.toString(), "--out", tmp.resolve("s").toString(),
                "--block-size", "4", "--cache", cache.toString());
        assertThat(stray.err()).contains("--objective block");
        Run badRange = unmask("train", "--corpus", "default", "--config", config.toString(), "--out", tmp.resolve("r").toString(),
                "--objective", "block", "--block-size", "4", "--mask-rate-range", "0.9,0.3", "--cache", cache.toString());
        assertThat(badRange.err()).contains("--mask-rate-range");
        Run fixed = unmask("generate", "--model", block.toString(), "--block-causal", "false", "--prompt-ids", "5 6 7", "--max-tokens", "8");
        assertThat(fixed.code()).isNotZero();
        assertThat(fixed.err()).contains("--gen-length");
        // the AR run writes left to right, one token per step, up to end-of-text or 8 tokens
        Run leftToRight = unmask("generate", "--model", ar.toString(), "--prompt-ids", "5 6 7", "--max-tokens", "8");
        assertThat(leftToRight.code()).as(leftToRight.err()).isZero();
        assertThat(leftToRight.err()).containsPattern("unmask: [1-8] steps, [1-8] forward passes");
    }

    @Test void initFromAnArRunKeepsNextTokenPredictionAnnealsAndResumes() throws Exception {
        Path config = config(), ar = tmp.resolve("ar"), diff = tmp.resolve("diff"), cache = tmp.resolve("cache");
        Run base = unmask("train", "--corpus", "default", "--config", config.toString(), "--out", ar.toString(),
                "--objective", "ar", "--max-steps", "2", "--batch", "2", "--seq-len", "32", "--val-windows", "2", "--cache", cache.toString());
        assertThat(base.code()).as(base.err()).isZero();

        Run adapted = unmask("train", "--corpus", "default", "--init-from", ar.toString(), "--out", diff.toString(),
                "--max-steps", "3", "--anneal-steps", "2", "--batch", "2", "--seq-len", "32", "--val-windows", "3", "--val-grid", "4",
                "--save-every", "2", "--cache", cache.toString());
        assertThat(adapted.code()).as(adapted.err()).isZero();
        assertThat(adapted.err()).contains("initialised from").contains("shift_logits");
        assertThat(ModelConfig.read(diff.resolve("config.json")).logitShift()).isTrue();
        assertThat(Files.readString(diff.resolve("config.json"))).contains("\"shift_logits\" : true");
        assertThat(Files.readString(ar.resolve("config.json"))).doesNotContain("shift_logits");   // the source is untouched
        TrainerState s = TrainerState.read(diff);
        assertThat(s.objective()).isEqualTo("diffusion");
        assertThat(s.annealSteps()).isEqualTo(2);
        assertThat(s.step()).isEqualTo(3);   // a fresh step count
        assertThat(diff.resolve("tokenizer.json")).hasSameTextualContentAs(ar.resolve("tokenizer.json"));

        // eval (through the shifted view every command uses) prints the figure training's validation printed
        double trained = lastValidation(diff);
        Run eval = unmask("eval", "--model", diff.toString(), "--corpus", "default:valid", "--seq-len", "32",
                "--max-chunks", "3", "--grid", "4");
        assertThat(eval.code()).as(eval.err()).isZero();
        double evaluated = bitsPerToken(eval);
        assertThat(evaluated).isCloseTo(trained, org.assertj.core.api.Assertions.within(1e-6));

        Run resumed = unmask("train", "--corpus", "default", "--out", diff.toString(), "--resume", "--max-steps", "4",
                "--batch", "2", "--seq-len", "32", "--val-windows", "2", "--cache", cache.toString());
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).doesNotContain("anneal differs");
        assertThat(TrainerState.read(diff).annealSteps()).isEqualTo(2);
        assertThat(ModelConfig.read(diff.resolve("config.json")).logitShift()).isTrue();

        Run clash = unmask("train", "--corpus", "default", "--init-from", ar.toString(), "--preset", "tiny",
                "--out", tmp.resolve("clash").toString(), "--cache", cache.toString());
        assertThat(clash.code()).isNotZero();
        assertThat(clash.err()).contains("--init-from takes the model configuration");
        Run missing = unmask("train", "--corpus", "default", "--init-from", tmp.resolve("nothing").toString(),
                "--out", tmp.resolve("m").toString(), "--cache", cache.toString());
        assertThat(missing.err()).contains("nothing").contains("config.json is missing");
        Path gguf = java.nio.file.Files.write(tmp.resolve("m.gguf"), "GGUF and the rest of a file".getBytes());
        Run fromGguf = unmask("train", "--corpus", "default", "--init-from", gguf.toString(),
                "--out", tmp.resolve("g").toString(), "--cache", cache.toString());
        assertThat(fromGguf.code()).isNotZero();
        assertThat(fromGguf.err()).contains(gguf + ": a GGUF file holds inference weights").contains("model directory it was made from");
    }
}
