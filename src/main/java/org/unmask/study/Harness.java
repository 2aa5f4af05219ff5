package org.unmask.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.diffusion.Elbo;
import org.unmask.files.AtomicFile;
import org.unmask.model.ModelConfig;
import org.unmask.model.Parameters;
import org.unmask.model.TrainableModel;
import org.unmask.model.Transformer;
import org.unmask.train.AttentionAnneal;
import org.unmask.train.AutoregressiveObjective;
import org.unmask.train.DiffusionObjective;
import org.unmask.train.LrSchedule;
import org.unmask.train.MetricsLog;
import org.unmask.train.Objective;
import org.unmask.train.ObjectiveKind;
import org.unmask.train.Reporter;
import org.unmask.train.RunCheckpoint;
import org.unmask.train.TrainOptions;
import org.unmask.train.Trainer;
import org.unmask.train.TrainerState;
import org.unmask.train.Validation;
import org.unmask.train.WindowSampler;
import org.unmask.views.LossCurveSvg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What every study is built on: training an arm in its own run directory with the one trainer (resuming a partly
 * trained arm exactly, skipping a finished one), the study's {@link Ledger}, its plots (the trainer's
 * {@link LossCurveSvg}) and its markdown summary.
 */
public final class Harness {
    /** The summary's file name in the study directory. */
    public static final String SUMMARY = "summary.md";
    /** The arm identity's file name in an arm's run directory. */
    public static final String ARM_FILE = "arm.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final StudySettings settings;
    private final Ledger ledger;
    private StudyData data;

    /** A harness writing into {@code settings.out()}. */
    public Harness(StudySettings settings) throws IOException {
        this.settings = settings;
        Files.createDirectories(settings.out());
        this.ledger = new Ledger(settings.out());
    }

    /** The settings. */
    public StudySettings settings() { return settings; }

    /** The scale. */
    public Scale scale() { return settings.scale(); }

    /** The seeds of the headline comparison: 0 .. seeds-1. */
    public long[] seeds() {
        long[] s = new long[settings.seeds()];
        for (int i = 0; i < s.length; i++) s[i] = i;
        return s;
    }

    /** The results file. */
    public Ledger ledger() { return ledger; }

    /** The shipped corpus under the study tokenizer, loaded on first use. */
    public StudyData data() throws IOException {
        if (data == null) data = StudyData.load(settings.tokenizer());
        return data;
    }

    /** A progress line. */
    public void log(String format, Object... args) {
        settings.log().println(String.format(Locale.ROOT, format, args));
        settings.log().flush();
    }

    /**
     * Trains {@code arm} in its run directory: from scratch, or resumed exactly from its last checkpoint, or not at all
     * when it is finished; records its result in the ledger. A directory holding another arm's run is an error.
     */
    public ArmResult train(Arm arm) throws IOException {
        Path dir = arm.dir(settings.out());
        // through the same JSON round trip as the saved file, so that number types compare equal
        ObjectNode identity = (ObjectNode) JSON.readTree(JSON.writeValueAsString(arm.identity()));
        Path idFile = dir.resolve(ARM_FILE);
        boolean exists = RunCheckpoint.exists(dir);
        if (Files.exists(idFile)) {
            JsonNode saved = JSON.readTree(Files.readString(idFile, StandardCharsets.UTF_8));
            if (!saved.equals(identity))
                throw new IllegalArgumentException(idFile + " describes another arm (" + difference(saved, identity)
                        + "); run the study with another --out, or delete " + dir);
        } else if (exists) {
            throw new IllegalArgumentException(dir + " holds a training run that is not this study's arm (" + ARM_FILE + " is missing)");
        }
        ModelConfig config = arm.config();
        TrainableModel model = config.family().randomEngine(config, arm.seed(), Parameters.INIT_STD);
        Objective objective = arm.objective() == ObjectiveKind.AR ? new AutoregressiveObjective()
                : new DiffusionObjective(config.maskTokenId(), DiffusionObjective.DEFAULT_EPS, DiffusionObjective.DEFAULT_TRUNCATE,
                false, config.logitShift());
        WindowSampler sampler = new WindowSampler(arm.data().train(), arm.batch(), arm.seqLen(), arm.seed(), arm.budget().byEpochs());
        Validation validation = new Validation(arm.data().valid(), Elbo.DEFAULT_GRID, arm.batch(), Elbo.DEFAULT_SEED);
        // quick arms take seconds: a checkpoint at the end only (each save is fsynced)
        long saveEvery = scale() == Scale.QUICK ? 0 : Math.max(arm.valEvery(), 1) * 4;
        TrainOptions options = new TrainOptions(arm.lr(), TrainOptions.AUTO_WARMUP, LrSchedule.Kind.COSINE, arm.batch(), arm.seqLen(), 1,
                1.0, 0.1, 0.9, 0.95, 1e-8, arm.seed(), arm.valEvery(), saveEvery, arm.budget(), 5, 0.5,
                new AttentionAnneal(arm.annealSteps()));
        Trainer trainer = new Trainer(model, objective, sampler, validation, dir, options, reporter(arm.name()));
        boolean found = exists;
        if (exists && TrainerState.read(dir).step() >= trainer.totalSteps()) {
            log("%s: finished earlier (%d steps), skipped", arm.name(), TrainerState.read(dir).step());
        } else {
            if (exists) {
                trainer.resume();
                log("%s: resuming at step %d of %d", arm.name(), trainer.step(), trainer.totalSteps());
            } else {
                if (arm.start() != null) arm.start().loadInto(model);
                Files.createDirectories(dir);
                log("%s: %s, %.2fM parameters, %s, %s%s", arm.name(), arm.objective().spelling(), config.parameterCount() / 1e6,
                        arm.budget(), arm.data().name(), arm.start() == null ? "" : ", from " + arm.start().dir());
            }
            AtomicFile.writeString(idFile, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(identity) + "\n");
            // the tokenizer makes the arm a complete model directory (synthetic data has none)
            if (arm.data().tokenizer() != null && !Files.exists(dir.resolve(RunCheckpoint.TOKENIZER)))
                AtomicFile.copy(arm.data().tokenizer(), dir.resolve(RunCheckpoint.TOKENIZER));
            trainer.run();
        }
        ArmResult r = new ArmResult(arm, curve(dir), TrainerState.read(dir).elapsedMillis() / 1000.0, found);
        ledger.put("arm:" + arm.name(), r.json());
        log("%s: validation %.4f bits/token (%s), best %.4f", arm.name(), r.finalBits(),
                arm.objective() == ObjectiveKind.AR ? "exact NLL" : "ELBO", r.bestBits());
        return r;
    }

    private static String difference(JsonNode saved, ObjectNode now) {
        List<String> diffs = new ArrayList<>();
        now.fieldNames().forEachRemaining(f -> {
            if (!now.get(f).equals(saved.get(f))) diffs.add(f + " " + saved.get(f) + " -> " + now.get(f));
        });
        return diffs.isEmpty() ? "different fields" : String.join(", ", diffs);
    }

    private Reporter reporter(String arm) {
        return new Reporter() {
            public void step(StepReport r) {}
            public void message(String line) { log("%s: %s", arm, line); }
            public void close() {}
        };
    }

    /** The validation curve in a run directory's metrics.jsonl: (step, bits per token). */
    static List<LossCurveSvg.Point> curve(Path dir) throws IOException {
        List<LossCurveSvg.Point> out = new ArrayList<>();
        Path f = dir.resolve(MetricsLog.JSONL);
        if (!Files.exists(f)) return out;
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            JsonNode n = JSON.readTree(line);
            if (n.has("val_bpt")) out.add(new LossCurveSvg.Point(n.get("step").asDouble(), n.get("val_bpt").asDouble()));
        }
        return out;
    }

    /** The trained weights of a finished {@code arm}, for evaluating it. */
    public Transformer load(Arm arm) throws IOException {
        Transformer model = Transformer.randomInit(arm.config(), 0);
        RunCheckpoint.loadWeights(arm.dir(settings.out()), model);
        return model;
    }

    /** Writes {@code DIR/file} with the labelled curves. */
    public Path plot(String file, String title, String xLabel, String yLabel, List<LossCurveSvg.Series> series) throws IOException {
        Path p = settings.out().resolve(file);
        LossCurveSvg.write(p, title, xLabel, yLabel, series);
        return p;
    }

    /** A curve for a plot with a dot per point, its colour picked by {@code index} from the palette. */
    public static LossCurveSvg.Series series(String label, int index, List<LossCurveSvg.Point> points) {
        return new LossCurveSvg.Series(label, LossCurveSvg.PALETTE.get(Math.floorMod(index, LossCurveSvg.PALETTE.size())), 2, points, true);
    }

    /** Writes {@code DIR/summary.md}. */
    public Path summary(String markdown) throws IOException {
        Path p = settings.out().resolve(SUMMARY);
        AtomicFile.writeString(p, markdown);
        return p;
    }
}
