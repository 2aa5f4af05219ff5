package org.unmask.cli;

import org.unmask.diffusion.Elbo;
import org.unmask.model.ModelConfig;
import org.unmask.train.AttentionAnneal;
import org.unmask.train.Budget;
import org.unmask.train.ConsoleReporter;
import org.unmask.train.DurationParser;
import org.unmask.train.LrSchedule;
import org.unmask.train.Reporter;
import org.unmask.train.RunCheckpoint;
import org.unmask.train.RunSettings;
import org.unmask.train.TrainOptions;
import org.unmask.train.Trainer;
import org.unmask.train.TrainerState;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/** The training options shared by {@code train} and {@code sft} (a picocli mixin). */
final class TrainingOptions {
    static final class Limit {
        @Option(names = "--max-steps", paramLabel = "N", description = "Stop after N optimizer steps (without any limit: 1000 for train, 3 epochs for sft; on --resume, the saved run's limit).") Long maxSteps;
        @Option(names = "--epochs", paramLabel = "N", description = "Stop after N passes over the data.") Double epochs;
        @Option(names = "--time", paramLabel = "DURATION", description = "Stop after this much training time (15m, 1h30m, 90s); the final validation and save come after it.") String time;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Limit limit;

    @Option(names = "--lr", description = "Peak learning rate (default: 1e-3 for train, 1e-4 for sft; on --resume, the checkpoint's).") Double lr;
    @Option(names = "--warmup", paramLabel = "STEPS",
            description = "Linear warmup steps (default: 100, at most a tenth of the run; on --resume, the checkpoint's).") Long warmup;
    @Option(names = "--schedule", paramLabel = "cosine|wsd", converter = Converters.Schedule.class,
            description = "Decay after warmup: cosine to 10%%, or warmup-stable-decay (default: cosine; on --resume, the checkpoint's).") LrSchedule.Kind schedule;
    @Option(names = "--batch", description = "Sequences per micro-batch (default: 8; on --resume, the checkpoint's).") Integer batch;
    @Option(names = "--seq-len", description = "Tokens per sequence (default: min(256, the model's max_sequence_length); on --resume, the checkpoint's).") Integer seqLen;
    @Option(names = "--grad-accum", description = "Micro-batches per optimizer step (default: 1; on --resume, the checkpoint's).") Integer gradAccum;
    @Option(names = "--clip", description = "Global gradient-norm clip, 0 to disable (default: 1.0; on --resume, the checkpoint's).") Double clip;
    @Option(names = "--weight-decay", description = "AdamW decoupled weight decay on matrices (default: 0.1; on --resume, the checkpoint's).") Double weightDecay;
    @Option(names = "--seed", defaultValue = "1234", description = "Seed of the initialisation, data order and masks (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--val-every", paramLabel = "STEPS", description = "Validate every N steps, 0 only at the end (default: 200; on --resume, the checkpoint's).") Long valEvery;
    @Option(names = "--save-every", paramLabel = "STEPS", description = "Checkpoint every N steps, 0 only at the end (default: 500; on --resume, the checkpoint's).") Long saveEvery;
    @Option(names = "--val-windows", description = "Held-out sequences evaluated, 0 for all (default: 32; on --resume, the checkpoint's).") Integer valWindows;
    @Option(names = "--val-grid", description = "Masking rates t=(k-0.5)/K of the validation ELBO (default: " + Elbo.DEFAULT_GRID + "; on --resume, the checkpoint's).") Integer valGrid;
    @Option(names = "--resume", description = "Continue the run in --out exactly where its last checkpoint left it.") boolean resume;
    @Option(names = "--ema", paramLabel = "DECAY", description = "Also keep an exponential moving average of the weights with this"
            + " decay per step (e.g. 0.999), validated beside them and saved as the model directory OUT/ema (default: none, or on"
            + " --resume the checkpoint's).") Double ema;
    @Option(names = "--keep-best", description = "Keep the weights of the best validation so far (of the weight average with --ema) as the"
            + " model directory OUT/best, with the step and figure in OUT/best/best.json (on --resume: on when the run keeps one).") boolean keepBest;
    @Option(names = "--cache", paramLabel = "DIR", description = "Cache of tokenised corpora and trained tokenizers (default: $UNMASK_CACHE or ~/.cache/unmask).") Path cache;
    @Option(names = "--log-every", defaultValue = "10s", paramLabel = "DURATION", description = "Interval of plain log lines when not on a terminal (default: ${DEFAULT-VALUE}).") String logEvery;

    /**
     * The budget the flags give; without any, a resumed run's saved budget (so that a bare --resume finishes what it
     * started), else {@code fallback}.
     */
    Budget budget(Budget fallback, Path out) throws IOException {
        if (limit == null) {
            Budget saved = resume && RunCheckpoint.exists(out) ? TrainerState.read(out).budget() : null;
            return saved != null ? saved : fallback;
        }
        if (limit.maxSteps != null) {
            if (limit.maxSteps < 1) throw new IllegalArgumentException("--max-steps must be at least 1, got " + limit.maxSteps);
            return Budget.steps(limit.maxSteps);
        }
        if (limit.epochs != null) {
            if (!(limit.epochs > 0)) throw new IllegalArgumentException("--epochs must be positive, got " + limit.epochs);
            return Budget.epochs(limit.epochs);
        }
        return Budget.time(DurationParser.parse(limit.time));
    }

    TrainOptions toTrainOptions(Budget budget, int seqLen, double defaultLr, Path out) throws IOException {
        return toTrainOptions(budget, seqLen, defaultLr, AttentionAnneal.NONE, out);
    }

    /**
     * The trainer's options; a resumed run ({@code --resume}) keeps the learning-rate schedule saved in {@code out}
     * unless --lr, --warmup or --schedule say otherwise, so that a bare --resume continues the run it names.
     */
    TrainOptions toTrainOptions(Budget budget, int seqLen, double defaultLr, AttentionAnneal anneal, Path out) throws IOException {
        LrSchedule saved = resume ? TrainerState.read(out).schedule() : null;
        double peak = lr != null ? lr : saved != null ? saved.peak() : defaultLr;
        long w = warmup != null ? warmup : saved != null ? saved.warmupSteps() : TrainOptions.AUTO_WARMUP;
        LrSchedule.Kind kind = schedule != null ? schedule : saved != null ? saved.kind() : LrSchedule.Kind.COSINE;
        return new TrainOptions(peak, w, kind, batch, seqLen,
                gradAccum, clip, weightDecay, 0.9, 0.95, 1e-8, seed, valEvery, saveEvery, budget, 5, 0.5, anneal);
    }

    int seqLen(ModelConfig config) {
        int s = seqLen != null ? seqLen : Math.min(256, config.maxSequenceLength());
        if (s < 2) throw new IllegalArgumentException("--seq-len must be at least 2, got " + s);
        if (s > config.maxSequenceLength())
            throw new IllegalArgumentException("--seq-len " + s + " exceeds the model's max_sequence_length " + config.maxSequenceLength());
        return s;
    }

    Path cacheDir() {
        if (cache != null) return cache;
        String env = System.getenv("UNMASK_CACHE");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "unmask");
    }

    /**
     * Fills the batch shape and cadence that the command line leaves out: on {@code --resume} from the checkpoint's
     * saved {@link RunSettings} (with a note where a given shape differs from the run's, since the resume is then no
     * longer exact), else from the defaults. Call after {@link #checkRunDirectory}.
     */
    void settle(Path out, PrintStream err) throws IOException {
        RunSettings saved = resume ? TrainerState.read(out).settings() : null;
        if (saved != null) {
            noteChange(err, "--batch", batch, saved.batch());
            noteChange(err, "--seq-len", seqLen, saved.seqLen());
            noteChange(err, "--grad-accum", gradAccum, saved.gradAccum());
            if (batch == null) batch = saved.batch();
            if (seqLen == null) seqLen = saved.seqLen();
            if (gradAccum == null) gradAccum = saved.gradAccum();
            if (clip == null) clip = saved.clip();
            if (weightDecay == null) weightDecay = saved.weightDecay();
            if (valEvery == null) valEvery = saved.valEvery();
            if (saveEvery == null) saveEvery = saved.saveEvery();
            if (valWindows == null && saved.valWindows() > 0) valWindows = saved.valWindows();
            if (valGrid == null && saved.valGrid() > 0) valGrid = saved.valGrid();
        } else if (resume) {
            err.println("note: " + out + " predates saved batch shapes and intervals; the flags (or their defaults) apply");
        }
        if (batch == null) batch = 8;
        if (gradAccum == null) gradAccum = 1;
        if (clip == null) clip = 1.0;
        if (weightDecay == null) weightDecay = 0.1;
        if (valEvery == null) valEvery = 200L;
        if (saveEvery == null) saveEvery = 500L;
        if (valWindows == null) valWindows = 32;
        if (valGrid == null) valGrid = Elbo.DEFAULT_GRID;
    }

    private static void noteChange(PrintStream err, String flag, Integer given, int saved) {
        if (given != null && given != saved)
            err.println("note: " + flag + " " + given + " differs from the run's " + saved
                    + "; the resumed run continues from the same data position but is not an exact continuation");
    }

    void checkRunDirectory(Path out) throws IOException {
        boolean exists = RunCheckpoint.exists(out);
        if (resume && !exists) throw new IOException(out + ": no checkpoint to resume (trainer_state.json is missing)");
        if (!resume && exists)
            throw new IOException(out + " already holds a training run (step " + TrainerState.read(out).step()
                    + "); pass --resume to continue it, or choose another --out");
    }

    Reporter reporter(Trainer trainer, Budget budget, PrintStream err) {
        return new ConsoleReporter(err, ConsoleReporter.isTerminal(), DurationParser.parse(logEvery), trainer.totalSteps(),
                budget.time(), trainer.step(), trainer.elapsedBefore());
    }
}
