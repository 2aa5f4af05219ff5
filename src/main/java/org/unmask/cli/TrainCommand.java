package org.unmask.cli;

import org.unmask.data.CorpusData;
import org.unmask.data.TokenizerSetup;
import org.unmask.model.LladaModel;
import org.unmask.model.ModelConfig;
import org.unmask.text.SpecialTokens;
import org.unmask.train.AutoregressiveObjective;
import org.unmask.train.Budget;
import org.unmask.train.ConsoleReporter;
import org.unmask.train.DiffusionObjective;
import org.unmask.train.DurationParser;
import org.unmask.train.LrSchedule;
import org.unmask.train.Objective;
import org.unmask.train.Reporter;
import org.unmask.train.RunCheckpoint;
import org.unmask.train.TrainOptions;
import org.unmask.train.Trainer;
import org.unmask.train.TrainerState;
import org.unmask.train.Validation;
import org.unmask.train.WindowSampler;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code unmask train}: pretrains a masked diffusion language model (or the autoregressive baseline) from scratch. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a LLaDA-style masked diffusion language model (or an autoregressive baseline) on a corpus.",
                "The run directory is a Hugging Face model directory (config.json, model.safetensors, tokenizer.json) "
                        + "plus trainer_state.json, optimizer.safetensors, metrics.jsonl and loss.svg."})
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--corpus", required = true, paramLabel = "PATH|default",
            description = "Text file, directory, .gz, JSONL, or 'default' (the shipped corpus).")
    String corpus;

    @Option(names = "--text-field", defaultValue = "text", description = "JSONL field holding the text (default: ${DEFAULT-VALUE}).")
    String textField;

    static final class Architecture {
        @Option(names = "--preset", paramLabel = "tiny|small|base", description = "Model size preset (default: tiny).") String preset;
        @Option(names = "--config", paramLabel = "FILE", description = "A config.json describing the model.") Path config;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Architecture architecture;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run directory (checkpoint, metrics, plot).")
    Path out;

    @Option(names = "--objective", paramLabel = "diffusion|ar",
            description = "LLaDA masked diffusion, or next-token prediction with a causal mask (default: diffusion, or the resumed run's).")
    String objective;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "Use this tokenizer.json instead of training one on the corpus.")
    Path tokenizer;

    @Option(names = "--stratified", description = "Spread the masking rates over the batch (MDLM's low-discrepancy sampler).")
    boolean stratified;

    @Mixin
    Options options = new Options();

    /** The training options shared by {@code train} and {@code sft}. */
    public static final class Options {
        static final class Limit {
            @Option(names = "--max-steps", paramLabel = "N", description = "Stop after N optimizer steps (without any limit: 1000 for train, 3 epochs for sft).") Long maxSteps;
            @Option(names = "--epochs", paramLabel = "N", description = "Stop after N passes over the data.") Double epochs;
            @Option(names = "--time", paramLabel = "DURATION", description = "Stop after this much training time (15m, 1h30m, 90s); the final validation and save come after it.") String time;
        }

        @ArgGroup(exclusive = true, multiplicity = "0..1")
        Limit limit;

        @Option(names = "--lr", description = "Peak learning rate (default: 1e-3 for train, 1e-4 for sft).") Double lr;
        @Option(names = "--warmup", paramLabel = "STEPS",
                description = "Linear warmup steps (default: 100, at most a tenth of the run).") Long warmup;
        @Option(names = "--schedule", defaultValue = "cosine", paramLabel = "cosine|wsd",
                description = "Decay after warmup: cosine to 10%, or warmup-stable-decay (default: ${DEFAULT-VALUE}).") String schedule;
        @Option(names = "--batch", defaultValue = "8", description = "Sequences per micro-batch (default: ${DEFAULT-VALUE}).") int batch;
        @Option(names = "--seq-len", description = "Tokens per sequence (default: min(256, the model's max_sequence_length)).") Integer seqLen;
        @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimizer step (default: ${DEFAULT-VALUE}).") int gradAccum;
        @Option(names = "--clip", defaultValue = "1.0", description = "Global gradient-norm clip, 0 to disable (default: ${DEFAULT-VALUE}).") double clip;
        @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW decoupled weight decay on matrices (default: ${DEFAULT-VALUE}).") double weightDecay;
        @Option(names = "--seed", defaultValue = "1234", description = "Seed of the initialisation, data order and masks (default: ${DEFAULT-VALUE}).") long seed;
        @Option(names = "--val-every", defaultValue = "200", paramLabel = "STEPS", description = "Validate every N steps, 0 only at the end (default: ${DEFAULT-VALUE}).") long valEvery;
        @Option(names = "--save-every", defaultValue = "500", paramLabel = "STEPS", description = "Checkpoint every N steps, 0 only at the end (default: ${DEFAULT-VALUE}).") long saveEvery;
        @Option(names = "--val-windows", defaultValue = "32", description = "Held-out sequences evaluated (default: ${DEFAULT-VALUE}).") int valWindows;
        @Option(names = "--val-grid", defaultValue = "8", description = "Masking rates t=(k-0.5)/K of the validation ELBO (default: ${DEFAULT-VALUE}).") int valGrid;
        @Option(names = "--resume", description = "Continue the run in --out exactly where its last checkpoint left it.") boolean resume;
        @Option(names = "--cache", paramLabel = "DIR", description = "Cache of tokenised corpora and trained tokenizers (default: $UNMASK_CACHE or ~/.cache/unmask).") Path cache;
        @Option(names = "--log-every", defaultValue = "10s", paramLabel = "DURATION", description = "Interval of plain log lines when not on a terminal (default: ${DEFAULT-VALUE}).") String logEvery;

        Budget budget(Budget fallback) {
            if (limit == null) return fallback;
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

        TrainOptions toTrainOptions(Budget budget, int seqLen, double defaultLr) {
            return new TrainOptions(lr == null ? defaultLr : lr, warmup == null ? TrainOptions.AUTO_WARMUP : warmup, LrSchedule.kind(schedule), batch, seqLen,
                    gradAccum, clip, weightDecay, 0.9, 0.95, 1e-8, seed, valEvery, saveEvery, budget, 5, 0.5);
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

    @Override public Integer call() throws Exception {
        PrintStream err = System.err;
        Budget budget = options.budget(Budget.steps(1000));
        Files.createDirectories(out.toAbsolutePath().getParent());
        options.checkRunDirectory(out);

        ModelConfig base;
        if (options.resume) {
            base = RunCheckpoint.config(out);
            if (architecture != null) err.println("note: --resume uses the model configuration saved in " + out);
        } else if (architecture != null && architecture.config != null) {
            base = ModelConfig.read(architecture.config);
        } else {
            base = ModelConfig.preset(architecture == null || architecture.preset == null ? "tiny" : architecture.preset);
        }
        TokenizerSetup.Found tok = TokenizerSetup.obtain(corpus, textField, base.vocabSize(), tokenizer, out, options.cacheDir(), err::println);
        int mask = tok.require(SpecialTokens.MASK), eos = tok.require(SpecialTokens.EOS);
        Integer bos = tok.tokenizer().tokenId(SpecialTokens.BOS).isPresent() ? tok.tokenizer().tokenId(SpecialTokens.BOS).getAsInt() : null;
        ModelConfig config = options.resume ? base : base.withTokens(tok.tokenizer().vocabSize(), mask, eos, bos);
        if (options.resume && (config.maskTokenId() != mask || config.vocabSize() != tok.tokenizer().vocabSize()))
            throw new IOException(out + ": config.json does not match " + tok.file() + " (mask id or vocabulary size differ)");
        String objectiveName = objective != null ? objective : options.resume ? TrainerState.read(out).objective() : "diffusion";
        Objective obj = switch (objectiveName.toLowerCase(Locale.ROOT)) {
            case "diffusion" -> new DiffusionObjective(config.maskTokenId(), DiffusionObjective.DEFAULT_EPS, DiffusionObjective.DEFAULT_TRUNCATE, stratified);
            case "ar" -> new AutoregressiveObjective();
            default -> throw new IllegalArgumentException("unknown --objective '" + objectiveName + "' (known: diffusion, ar)");
        };
        int seqLen = options.seqLen(config);
        TrainOptions topts = options.toTrainOptions(budget, seqLen, 1e-3);

        TokenizerSetup.install(tok, out);
        try (CorpusData data = CorpusData.load(corpus, textField, tok.tokenizer(), tok.file(), options.cacheDir(), seqLen, options.valWindows)) {
            WindowSampler sampler = new WindowSampler(data.train(), topts.batch(), seqLen, options.seed, budget.byEpochs());
            Validation validation = data.valid() == null ? null
                    : new Validation(Validation.windows(data.valid(), seqLen, topts.batch(), options.valWindows), config.maskTokenId(),
                    options.valGrid, options.seed + 17);
            LladaModel model = LladaModel.randomInit(config, options.seed);
            err.printf(Locale.ROOT, "model: %s, %.2fM parameters, d=%d, %d layers, %d heads, vocab %d; objective %s%n",
                    architecture != null && architecture.preset != null ? architecture.preset : "custom",
                    config.parameterCount() / 1e6, config.dModel(), config.nLayers(), config.nHeads(), config.vocabSize(), obj.name());
            err.printf(Locale.ROOT, "data: %,d training tokens from %s; validation: %s%n", data.train().size(), corpus, data.validSource());
            return run(model, obj, sampler, validation, out, topts, options, err);
        }
    }

    /** Runs a trainer with a console reporter and a Ctrl-C hook that saves before the JVM exits. */
    static Integer run(LladaModel model, Objective obj, org.unmask.train.BatchSource source, Validation validation, Path dir,
                       TrainOptions topts, Options options, PrintStream err) throws Exception {
        Trainer[] holder = new Trainer[1];
        // the console reporter needs the run's length and starting step, known once the trainer exists and has resumed
        Reporter reporter = new Reporter() {
            Reporter inner;
            Reporter inner() {
                if (inner == null) inner = options.reporter(holder[0], topts.budget(), err);
                return inner;
            }
            public void step(StepReport r) { inner().step(r); }
            public void message(String line) { if (inner != null) inner.message(line); else err.println(line); }
            public void close() { if (inner != null) inner.close(); }
        };
        Trainer trainer = new Trainer(model, obj, source, validation, dir, topts, reporter);
        holder[0] = trainer;
        if (options.resume) {
            trainer.resume();
            err.printf(Locale.ROOT, "resuming %s at step %d (%s of training so far)%n", dir, trainer.step(), DurationParser.format(trainer.elapsedBefore()));
        }
        String shape = source instanceof org.unmask.train.SftBatches
                ? String.format(Locale.ROOT, "%d examples (padded to their longest, at most %d tokens) x %d accumulation per step",
                        topts.batch(), topts.seqLen(), topts.gradAccum())
                : String.format(Locale.ROOT, "%d x %d tokens x %d accumulation = %,d tokens per step",
                        topts.batch(), topts.seqLen(), topts.gradAccum(), topts.tokensPerStep());
        err.printf(Locale.ROOT, "training: %s, %s, lr %.2e %s; Ctrl-C saves and stops%n", topts.budget(), shape, topts.lr(),
                topts.schedule().name().toLowerCase(Locale.ROOT));
        // the summary goes to stdout: on Ctrl-C the launcher's stderr filter may already be gone
        PrintStream out = System.out;
        CountDownLatch reported = new CountDownLatch(1);   // the JVM exits when the hook returns: after the summary
        Thread hook = new Thread(() -> {
            out.println("interrupted: finishing the current step and saving a checkpoint ...");
            out.flush();
            trainer.requestStop();
            try {
                if (!reported.await(5, TimeUnit.MINUTES)) out.println("training did not stop in time; the last checkpoint is kept");
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "unmask-train-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            report(trainer.run(), dir, out);
        } finally {
            reporter.close();
            reported.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running and returns now that the summary is out
            }
        }
        return 0;
    }

    private static void report(Trainer.Result result, Path dir, PrintStream out) {
        double tps = result.elapsed().toMillis() == 0 ? 0 : result.tokensSeen() * 1000.0 / Math.max(1, result.elapsed().toMillis());
        out.printf(Locale.ROOT, "done: %d steps, %,d tokens in %s (%.0f tokens/s overall), last loss %.4f%n", result.steps(),
                result.tokensSeen(), DurationParser.format(result.elapsed()), tps, result.lastLoss());
        if (result.validation() != null) {
            Validation.Result v = result.validation();
            out.printf(Locale.ROOT, "validation: %.4f bits/token, perplexity %s %.2f (%s)%n", v.bitsPerToken(), v.bound() ? "<=" : "=",
                    v.perplexity(), v.bound() ? "diffusion ELBO, an upper bound" : "exact AR NLL");
        }
        if (result.nanSkipped() > 0)
            out.printf("non-finite steps skipped: %d, recoveries from checkpoint: %d%n", result.nanSkipped(), result.nanRecoveries());
        out.println((result.stopped() ? "stopped, saved: " : "saved: ") + dir.toAbsolutePath());
        out.flush();
    }
}
