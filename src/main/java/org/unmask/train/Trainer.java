package org.unmask.train;

import org.unmask.diffusion.NllEstimate;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.model.LogitShift;
import org.unmask.model.TrainableModel;
import org.unmask.model.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The training loop: micro-batches → objective → forward/backward → NaN check → clip → AdamW (→ weight average),
 * with periodic validation and atomic checkpoints. Everything random comes from generators saved in the checkpoint, so a resumed
 * run repeats exactly the steps an uninterrupted run would have taken.
 */
public final class Trainer {
    /** Lets tests corrupt gradients after the backward pass of an attempted step. */
    @FunctionalInterface
    interface GradientHook { void afterBackward(long attempt, float[] grads); }

    /** What a finished run reports. */
    public record Result(long steps, long tokensSeen, double lastLoss, NllEstimate validation, boolean stopped,
                         long nanSkipped, int nanRecoveries, Duration elapsed) {}

    private final TrainableModel model;
    private final Objective objective;
    private final BatchSource data;
    private final Validation validation;
    private final Path dir;
    private final TrainOptions options;
    private final Reporter reporter;
    private final MetricsLog metrics;
    private final AdamW optimizer;
    private final long totalSteps;
    private final LrSchedule schedule;
    private final boolean diffusionValidation;

    private Rng rng;
    /** The run's seed as first given: a resumed run restores its random states and keeps recording this one. */
    private long seed;
    private long step, tokensSeen, elapsedBefore, nanSkipped;
    private int nanInARow, nanRecoveries;
    private double lrScale = 1.0;
    private long attempts;
    private GradientHook hook;
    private WeightAverage ema;
    private boolean keepBest;
    private double best = Double.POSITIVE_INFINITY;
    private volatile boolean stopRequested;

    /**
     * A trainer writing its checkpoints to {@code dir}. {@code validation} may be null (no held-out data);
     * for the AR objective it measures the exact NLL, otherwise the diffusion ELBO.
     */
    public Trainer(TrainableModel model, Objective objective, BatchSource data, Validation validation, Path dir,
                   TrainOptions options, Reporter reporter) {
        this.model = model;
        this.objective = objective;
        this.data = data;
        this.validation = validation;
        this.dir = dir;
        this.options = options;
        this.reporter = reporter;
        this.metrics = new MetricsLog(dir, model.config().dModel() + "d × " + model.config().nLayers() + " layers, "
                + objective.name() + " objective");
        this.optimizer = new AdamW(model.parameters(), options.beta1(), options.beta2(), options.adamEps(), options.weightDecay());
        this.totalSteps = options.budget().totalSteps(data.stepsPerEpoch(options.gradAccum()));
        this.schedule = options.lrSchedule(totalSteps);
        this.diffusionValidation = !(objective instanceof AutoregressiveObjective);
        this.rng = new Rng(options.seed() ^ 0x5DEECE66DL);
        this.seed = options.seed();
    }

    void setGradientHook(GradientHook hook) { this.hook = hook; }

    /** Total optimizer steps of the run, or -1 for a time budget. */
    public long totalSteps() { return totalSteps; }

    /** The current step. */
    public long step() { return step; }

    /** Training time already spent before this process (non-zero after a resume). */
    public Duration elapsedBefore() { return Duration.ofMillis(elapsedBefore); }

    /** The optimizer (for tests). */
    AdamW optimizer() { return optimizer; }

    /** Asks the loop to save and stop after the current step (from a shutdown hook). */
    public void requestStop() { stopRequested = true; }

    /**
     * Keeps an exponential moving average of the weights with {@code decay} per step ({@link WeightAverage}),
     * validated beside the weights and saved in the run's {@code ema} directory. Call before {@link #resume}, which
     * then restores the checkpoint's average (or starts one at its weights).
     */
    public void averageWeights(double decay) {
        ema = new WeightAverage(decay, model.parameters().values());
    }

    /**
     * Keeps the weights of the best validation so far as the model directory {@code dir/best} (their average's, when
     * {@link #averageWeights} is on: the figure and the weights that would ship). Call before {@link #resume}, which
     * then continues from the figure the run kept.
     */
    public void keepBest() {
        keepBest = true;
    }

    /** Continues from the checkpoint in the run directory. */
    public void resume() throws IOException {
        if (keepBest) best = RunCheckpoint.bestFigure(dir).orElse(Double.POSITIVE_INFINITY);
        TrainerState s = RunCheckpoint.restore(dir, model, optimizer);
        if (ema != null) RunCheckpoint.restoreAverage(dir, model, ema);
        if (!s.objective().equals(objective.name()))
            throw new IOException(dir + ": the checkpoint was trained with the '" + s.objective() + "' objective, not '" + objective.name() + "'");
        apply(s);
        lrScale = s.lrScale();
        metrics.truncateAfter(step);
        if (!s.schedule().equals(schedule))
            reporter.message("note: the learning-rate schedule differs from the checkpoint's (" + describe(s.schedule()) + " -> "
                    + describe(schedule) + "); a resumed run repeats an uninterrupted one only with the same options");
        data.change(s.data()).ifPresent(d -> reporter.message("note: " + d
                + "; the resumed run continues from the same data position but is not an exact continuation"));
        if (s.annealSteps() != options.anneal().steps())
            reporter.message("note: the attention anneal differs from the checkpoint's (" + s.annealSteps() + " -> "
                    + options.anneal().steps() + " steps); a resumed run repeats an uninterrupted one only with the same options");
    }

    private static String describe(LrSchedule s) {
        return String.format(Locale.ROOT, "%s peak %.2e warmup %d", s.kind().name().toLowerCase(Locale.ROOT), s.peak(), s.warmupSteps());
    }

    private void apply(TrainerState s) {
        step = s.step();
        tokensSeen = s.tokensSeen();
        elapsedBefore = s.elapsedMillis();
        rng = Rng.fromState(s.rng());
        seed = s.seed();
        data.restore(s.data());
        nanSkipped = Math.max(nanSkipped, s.nanSkipped());
        nanRecoveries = Math.max(nanRecoveries, s.nanRecoveries());
        nanInARow = 0;
    }

    private TrainerState state(long elapsedMillis) {
        return new TrainerState(step, tokensSeen, elapsedMillis, objective.name(), seed, rng.state(), data.state(),
                schedule, lrScale, nanSkipped, nanInARow, nanRecoveries, options.anneal().steps(), options.budget(),
                objective.maskRates(), ema == null ? 0 : ema.decay(), objective.lossWeighting(), objective.stratified(),
                RunSettings.of(options, validation));
    }

    /** Trains until the budget is spent or a stop is requested; saves at the end. */
    public Result run() throws IOException {
        long started = System.nanoTime();
        if (!RunCheckpoint.exists(dir)) {
            metrics.truncateAfter(-1);
            save(0);   // the state NaN recovery returns to before the first periodic checkpoint
        }
        double lastLoss = Double.NaN;
        NllEstimate lastVal = null;
        long windowStart = System.nanoTime(), windowTokens = 0;
        long lastValStep = -1, lastSaveStep = step;
        while (!budgetSpent(elapsed(started)) && !stopRequested) {
            double lr = schedule.lr(step, progress(elapsed(started))) * lrScale;
            Parameters p = model.parameters();
            p.zeroGrads();
            double loss = 0;
            long tokens = 0;
            for (int micro = 0; micro < options.gradAccum(); micro++) {
                TrainBatch tb = objective.corrupt(data.next(), rng).scaled(1.0 / options.gradAccum());
                if (options.anneal().activeAt(step)) tb = tb.withPattern(options.anneal().pattern(step, tb.seqLen()));
                tokens += tb.tokens();
                if (tb.rows().length > 0)
                    loss += model.forwardBackward(tb.ids(), tb.batch(), tb.seqLen(), null, tb.pattern(), tb.rows(), tb.targets(), tb.weights());
            }
            if (hook != null) hook.afterBackward(attempts, p.grads());
            attempts++;
            double norm = GradClip.clipGlobalNorm(p.grads(), options.clip() > 0 ? options.clip() : Double.POSITIVE_INFINITY);
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                nanSkipped++;
                nanInARow++;
                reporter.message(String.format(Locale.ROOT, "step %d: non-finite %s, step skipped (%d in a row, %d in total)",
                        step + 1, Double.isFinite(loss) ? "gradient" : "loss", nanInARow, nanSkipped));
                if (nanInARow >= options.nanPatience()) recoverFromNan();
                continue;
            }
            optimizer.step(lr);
            step++;
            if (ema != null) ema.update(p.values(), step);
            nanInARow = 0;
            tokensSeen += tokens;
            windowTokens += tokens;
            lastLoss = loss;
            long now = System.nanoTime();
            double tps = windowTokens / Math.max(1e-9, (now - windowStart) / 1e9);
            if (now - windowStart > 5_000_000_000L) { windowStart = now; windowTokens = 0; }
            Duration el = elapsed(started);
            ObjectNode rec = record(loss, lr, norm, tps, el);
            if (options.valEvery() > 0 && step % options.valEvery() == 0 && validation != null) {
                lastVal = validate(rec, el);
                lastValStep = step;
            }
            metrics.append(rec);
            reporter.step(new Reporter.StepReport(step, totalSteps, loss, lr, norm, tps, progress(el), el, eta(el)));
            boolean paused = lastValStep == step;
            if (options.saveEvery() > 0 && step % options.saveEvery() == 0) {
                save(el.toMillis());
                lastSaveStep = step;
                paused = true;
            }
            if (paused) { windowStart = System.nanoTime(); windowTokens = 0; }   // tokens/s counts training time only
        }
        Duration el = elapsed(started);
        if (validation != null && lastValStep != step && !stopRequested) {
            ObjectNode rec = JsonNodeFactory.instance.objectNode();
            rec.put("step", step);
            lastVal = validate(rec, el);
            metrics.append(rec);
        }
        if (lastSaveStep != step || stopRequested) save(el.toMillis());
        if (stopRequested) reporter.message("stopped at step " + step + "; checkpoint saved in " + dir + " (continue with --resume)");
        return new Result(step, tokensSeen, lastLoss, lastVal, stopRequested, nanSkipped, nanRecoveries, el);
    }

    private ObjectNode record(double loss, double lr, double norm, double tps, Duration el) {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("step", step);
        r.put("loss", loss);
        r.put("lr", lr);
        r.put("grad_norm", norm);
        r.put("tokens_per_s", Math.round(tps * 10) / 10.0);
        r.put("tokens", tokensSeen);
        r.put("elapsed_s", el.toMillis() / 1000.0);
        return r;
    }

    private NllEstimate validate(ObjectNode rec, Duration elapsed) throws IOException {
        // the raw forward seen through its logit shift, as eval and the sampler see the saved model
        NllEstimate v = diffusionValidation ? validation.diffusionElbo(LogitShift.apply(model)) : validation.autoregressiveNll(model);
        rec.put("val_bpt", v.bitsPerToken());
        double perByte = validation.tokensPerByte();   // NaN when the validation text's bytes are not known
        if (!Double.isNaN(perByte)) rec.put("val_bpb", v.bitsPerToken() * perByte);
        rec.put("val_ppl", v.perplexity());
        rec.put("val_bound", v.bound());
        NllEstimate averaged = null;
        if (ema != null) {   // the average through the same model: its values swapped in for the evaluation
            float[] values = model.parameters().values(), own = values.clone();
            System.arraycopy(ema.values(), 0, values, 0, values.length);
            try {
                averaged = diffusionValidation ? validation.diffusionElbo(LogitShift.apply(model)) : validation.autoregressiveNll(model);
            } finally {
                System.arraycopy(own, 0, values, 0, values.length);
            }
            rec.put("val_bpt_ema", averaged.bitsPerToken());
            if (!Double.isNaN(perByte)) rec.put("val_bpb_ema", averaged.bitsPerToken() * perByte);
        }
        NllEstimate judged = averaged != null ? averaged : v;
        boolean improved = keepBest && judged.bitsPerToken() < best;
        if (improved) {
            best = judged.bitsPerToken();
            var tensors = averaged != null ? ema.tensors(model.tensors(), model.parameters().values()) : model.tensors();
            RunCheckpoint.saveBest(dir, model.config(), tensors, state(elapsed.toMillis()), best, averaged != null);
        }
        try {
            metrics.writePlot(dir);   // the curve beside the checkpoint stays current between saves
        } catch (IOException e) {
            reporter.message("could not update " + dir.resolve(MetricsLog.SVG) + ": " + e.getMessage());
        }
        reporter.message(String.format(Locale.ROOT, "validation at step %d: %.4f bits/token%s, perplexity %s %.2f (%s, %d tokens)%s",
                step, v.bitsPerToken(), Double.isNaN(perByte) ? "" : String.format(Locale.ROOT, " = %.4f bits/byte", v.bitsPerToken() * perByte),
                v.bound() ? "<=" : "=", v.perplexity(),
                v.bound() ? "diffusion ELBO" : "exact AR NLL", v.tokens(),
                averaged == null ? "" : String.format(Locale.ROOT, "; weight average (ema) %.4f", averaged.bitsPerToken()))
                + (improved ? "; the best so far, kept in " + dir.resolve(RunCheckpoint.BEST) : ""));
        return v;
    }

    private void recoverFromNan() throws IOException {
        double newScale = lrScale * options.nanLrFactor();
        long skipped = nanSkipped;
        int recoveries = nanRecoveries + 1;
        if (recoveries > 8)
            throw new IllegalStateException("training diverged: " + skipped + " non-finite steps and " + nanRecoveries
                    + " recoveries; the last good checkpoint is in " + dir);
        TrainerState s = RunCheckpoint.restore(dir, model, optimizer);
        if (ema != null) RunCheckpoint.restoreAverage(dir, model, ema);
        apply(s);
        nanSkipped = skipped;
        nanRecoveries = recoveries;
        lrScale = newScale;
        metrics.truncateAfter(step);
        reporter.message(String.format(Locale.ROOT,
                "%d non-finite steps in a row: restored the checkpoint of step %d and lowered the learning rate to %.3g× (x%.2f)",
                options.nanPatience(), step, lrScale, options.nanLrFactor()));
    }

    private void save(long elapsedMillis) throws IOException {
        RunCheckpoint.save(dir, model, optimizer, ema, state(elapsedMillis), metrics);
    }

    private Duration elapsed(long startedNanos) {
        return Duration.ofMillis(elapsedBefore + (System.nanoTime() - startedNanos) / 1_000_000);
    }

    private boolean budgetSpent(Duration elapsed) {
        Budget b = options.budget();
        if (b.time() != null) return elapsed.compareTo(b.time()) >= 0;
        return step >= totalSteps;
    }

    /** Fraction of the post-warmup budget used, which drives the decay of the learning rate. */
    private double progress(Duration elapsed) {
        Budget b = options.budget();
        if (b.time() != null) return (double) elapsed.toMillis() / b.time().toMillis();
        long w = schedule.warmupSteps();
        return totalSteps <= w ? 1.0 : (double) (step - w) / (totalSteps - w);
    }

    private Duration eta(Duration elapsed) {
        Budget b = options.budget();
        if (b.time() != null) return b.time().minus(elapsed).isNegative() ? Duration.ZERO : b.time().minus(elapsed);
        long done = step;
        if (done == 0) return null;
        long sinceStart = elapsed.toMillis();
        return Duration.ofMillis(sinceStart * (totalSteps - done) / done);
    }
}
