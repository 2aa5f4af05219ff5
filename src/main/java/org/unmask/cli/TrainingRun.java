package org.unmask.cli;

import org.unmask.diffusion.NllEstimate;
import org.unmask.model.TrainableModel;
import org.unmask.train.DurationParser;
import org.unmask.train.Objective;
import org.unmask.train.Reporter;
import org.unmask.train.TrainOptions;
import org.unmask.train.Trainer;
import org.unmask.train.TrainerState;
import org.unmask.train.Validation;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Runs a trainer for {@code train} and {@code sft}: console progress, a Ctrl-C hook that saves, and the summary. */
final class TrainingRun {
    private TrainingRun() {}

    /** Runs a trainer with a console reporter and a Ctrl-C hook that saves before the JVM exits. */
    static Integer run(TrainableModel model, Objective obj, org.unmask.train.BatchSource source, Validation validation, Path dir,
                       TrainOptions topts, TrainingOptions options, PrintStream err) throws Exception {
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
        double ema = options.ema != null ? options.ema : options.resume ? TrainerState.read(dir).emaDecay() : 0;
        if (ema > 0) trainer.averageWeights(ema);
        if (options.keepBest || (options.resume && java.nio.file.Files.isDirectory(dir.resolve(org.unmask.train.RunCheckpoint.BEST)))) {
            if (validation == null) throw new IllegalArgumentException("--keep-best needs validation: this run holds no text out to validate on");
            trainer.keepBest();
        }
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
            NllEstimate v = result.validation();
            out.printf(Locale.ROOT, "validation: %.4f bits/token, perplexity %s %.2f (%s)%n", v.bitsPerToken(), v.bound() ? "<=" : "=",
                    v.perplexity(), v.bound() ? "diffusion ELBO, an upper bound" : "exact AR NLL");
        }
        if (result.nanSkipped() > 0)
            out.printf("non-finite steps skipped: %d, recoveries from checkpoint: %d%n", result.nanSkipped(), result.nanRecoveries());
        out.println((result.stopped() ? "stopped, saved: " : "saved: ") + dir.toAbsolutePath());
        out.flush();
    }
}
