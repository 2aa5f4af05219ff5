package org.unmask.cli;

import org.unmask.diffusion.Elbo;
import org.unmask.data.Corpora;
import org.unmask.data.CorpusData;
import org.unmask.data.TokenizerSetup;
import org.unmask.model.BertFamily;
import org.unmask.model.TrainableModel;
import org.unmask.model.LladaFamily;
import org.unmask.model.ModelConfig;
import org.unmask.model.Parameters;
import org.unmask.text.SpecialTokens;
import org.unmask.train.AttentionAnneal;
import org.unmask.train.AutoregressiveObjective;
import org.unmask.train.BlockDiffusionObjective;
import org.unmask.train.Budget;
import org.unmask.train.DiffusionObjective;
import org.unmask.train.LossWeighting;
import org.unmask.train.Objective;
import org.unmask.train.ObjectiveKind;
import org.unmask.train.RunCheckpoint;
import org.unmask.train.RunSettings;
import org.unmask.train.TrainOptions;
import org.unmask.train.TrainerState;
import org.unmask.train.Validation;
import org.unmask.train.WarmStart;
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

/**
 * {@code unmask train}: pretrains a masked diffusion language model (or the autoregressive baseline) from scratch, or
 * adapts the weights of another run ({@code --init-from}), e.g. an autoregressive one, as Dream and DiffuLLaMA do.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a LLaDA-style masked diffusion language model (or an autoregressive baseline) on a corpus.",
                "The run directory is a Hugging Face model directory (config.json, model.safetensors, tokenizer.json) "
                        + "plus trainer_state.json, optimizer.safetensors, metrics.jsonl and loss.svg."})
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--corpus", paramLabel = "PATH|default",
            description = "Text file, directory, .gz, JSONL, or 'default' (the shipped corpus); on --resume, the run's own by default.")
    String corpus;

    @Option(names = "--valid-corpus", paramLabel = "PATH|default:valid",
            description = "Validate on this corpus (all of it) instead of text held out of --corpus, which is then "
                    + "trained on whole; with --corpus default, the shipped validation split is the default.")
    String validCorpus;

    @Option(names = "--text-field", defaultValue = "text", description = "JSONL field holding the text (default: ${DEFAULT-VALUE}).")
    String textField;

    static final class Architecture {
        @Option(names = "--preset", paramLabel = "micro|tiny|small|base", description = "Model size preset (default: tiny; micro is what demo --train trains).") String preset;
        @Option(names = "--config", paramLabel = "FILE", description = "A config.json describing the model.") Path config;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Architecture architecture;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run directory (checkpoint, metrics, plot).")
    Path out;

    @Option(names = "--objective", paramLabel = "diffusion|ar|block", converter = Converters.Objective.class,
            description = "LLaDA masked diffusion, next-token prediction with a causal mask, or block diffusion (BD3-LM, "
                    + "with --block-size) (default: diffusion, or the resumed run's).")
    ObjectiveKind objective;

    @Option(names = "--block-size", paramLabel = "B", description = "Block size of --objective block: autoregressive over "
            + "blocks of B tokens, masked diffusion inside each (1 is next-token prediction in expectation, --seq-len is "
            + "plain masked diffusion); recorded in config.json as \"block_size\" (on --resume, the checkpoint's).")
    Integer blockSize;

    @Option(names = "--mask-rate-range", paramLabel = "LOW,HIGH", description = "Draw the masking rates of --objective diffusion or block "
            + "uniformly from [LOW, HIGH] (a clipped schedule, as BD3-LM's; default: 0.2,0.8, the recipe ablation's winner, "
            + "or on --resume the checkpoint's; 0.001,1 is LLaDA's own).")
    String maskRateRange;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "Use this tokenizer.json instead of training one on the corpus.")
    Path tokenizer;

    @Option(names = "--init-from", paramLabel = "DIR",
            description = "Start from the weights and config of this run or model directory (fresh optimizer and step count). "
                    + "From an autoregressive run (trainer_state objective 'ar') the model keeps next-token prediction "
                    + "(config.json gets \"shift_logits\": true) and attention is annealed from causal to bidirectional.")
    Path initFrom;

    @Option(names = "--shift-logits", description = "Score each masked token from the previous position's output (Dream's "
            + "convention; implied when --init-from names an autoregressive run).")
    boolean shiftLogits;

    @Option(names = "--never-predict-mask", description = "Give the mask token a logit of -inf in every output (MDLM's SUBS "
            + "parameterisation; config.json gets \"never_predict_mask\": true, which sampling and scoring then honour too).")
    boolean neverPredictMask;

    @Option(names = "--init-std", paramLabel = "STD", description = "Standard deviation of the random matrices of a model "
            + "trained from scratch (default: " + Parameters.INIT_STD + ").")
    Double initStd;

    @Option(names = "--anneal-steps", paramLabel = "N", description = "Widen attention from causal to bidirectional over the "
            + "first N steps (default: when adapting an autoregressive run, a tenth of a --max-steps budget, else 200; "
            + "otherwise 0; on --resume, the checkpoint's).")
    Long annealSteps;

    @Option(names = "--loss-weighting", paramLabel = "elbo|mean", description = "Weight of each masked token's cross-entropy "
            + "in --objective diffusion: elbo, LLaDA's 1/(t·L) (a bound on the NLL), or mean, the plain mean over the batch's "
            + "masked tokens (default: elbo; on --resume, the checkpoint's).")
    String lossWeighting;

    @Option(names = "--stratified", negatable = true, description = "Spread the masking rates over the batch (MDLM's "
            + "low-discrepancy sampler); --no-stratified draws them independently (default: independent; on --resume, the "
            + "checkpoint's).")
    Boolean stratified;

    @Mixin
    TrainingOptions options = new TrainingOptions();

    @Override public Integer call() throws Exception {
        PrintStream err = System.err;
        Budget budget = options.budget(Budget.steps(1000), out);
        Files.createDirectories(out.toAbsolutePath().getParent());
        options.checkRunDirectory(out);
        options.settle(out, err);
        settleCorpus();
        settleValidCorpus(err);
        CorpusData.checkValidCorpus(corpus, validCorpus);   // before a tokenizer is trained on a large corpus

        ModelConfig base;
        boolean fromAr = false;
        WarmStart start = null;
        if (options.resume) {
            base = RunCheckpoint.config(out);
            if (architecture != null) err.println("note: --resume uses the model configuration saved in " + out);
            if (initFrom != null) err.println("note: --resume continues " + out + "; --init-from is ignored");
        } else if (initFrom != null) {
            if (architecture != null) throw new IllegalArgumentException("--init-from takes the model configuration from "
                    + initFrom + "; drop --preset/--config");
            start = WarmStart.of(initFrom);
            base = start.config();
            fromAr = start.fromAr();
            if (tokenizer == null) tokenizer = start.tokenizerOrNull();
        } else if (architecture != null && architecture.config != null) {
            base = ModelConfig.read(architecture.config);
        } else {
            base = ModelConfig.preset(architecture == null || architecture.preset == null ? "tiny" : architecture.preset);
        }
        // a BERT-family encoder keeps its own vocabulary: [MASK] is the mask, [SEP] ends a text; a BertModel gets an MLM head
        boolean encoder = base.family() instanceof BertFamily;
        // so does any other family's model (Dream, Llama, Qwen2), whose config.json names the mask (mask_token_id): its
        // tokenizer need not have ours
        boolean ownIds = encoder || start != null && start.stored() != LladaFamily.INSTANCE;
        TokenizerSetup.Found tok = TokenizerSetup.obtain(corpus, textField, base.vocabSize(), tokenizer, out, options.cacheDir(), err::println);
        int mask = ownIds ? base.maskTokenId() : tok.require(SpecialTokens.MASK);
        int eos = ownIds ? base.eosTokenId() : tok.require(SpecialTokens.EOS);
        Integer bos = ownIds ? base.bosTokenIdOrNull()
                : tok.tokenizer().tokenId(SpecialTokens.BOS).isPresent() ? tok.tokenizer().tokenId(SpecialTokens.BOS).getAsInt() : null;
        Path configFrom = options.resume ? out : initFrom;
        ModelConfig config = configFrom != null ? base : base.withTokens(tok.tokenizer().vocabSize(), mask, eos, bos);
        // another family's vocabulary may be padded beyond its tokenizer's (Dream's 152064 rows for 151665 tokens)
        boolean vocabFits = ownIds ? tok.tokenizer().vocabSize() <= config.embeddingSize() : config.vocabSize() == tok.tokenizer().vocabSize();
        if (configFrom != null && (config.maskTokenId() != mask || !vocabFits))
            throw new IOException(configFrom.resolve(RunCheckpoint.CONFIG) + " does not match " + tok.file()
                    + " (mask id or vocabulary size differ)");
        ObjectiveKind kind = objective != null ? objective
                : options.resume ? ObjectiveKind.parse(TrainerState.read(out).objective()) : ObjectiveKind.DIFFUSION;
        if (encoder && (kind != ObjectiveKind.DIFFUSION || shiftLogits || (annealSteps != null && annealSteps > 0)))
            throw new IllegalArgumentException(base.family().name() + " is a bidirectional encoder: it trains with the diffusion"
                    + " objective only (no --objective ar, --shift-logits or --anneal-steps)");
        boolean diffusing = kind == ObjectiveKind.DIFFUSION || kind == ObjectiveKind.BLOCK;
        // a causal LM's config.json (LlamaForCausalLM) would save a diffusion model under a class that runs it causally
        if (diffusing && base.family().autoregressive())
            throw new IllegalArgumentException((architecture != null && architecture.config != null ? architecture.config : out)
                    + " describes a causal LM (" + base.family().architectures().getFirst() + "): train it with --objective ar,"
                    + " or start a diffusion run from a trained one with --init-from");
        if (!options.resume && diffusing && (fromAr || shiftLogits)) config = config.withLogitShift(true);
        if (neverPredictMask) {
            if (encoder || !diffusing)
                throw new IllegalArgumentException("--never-predict-mask belongs to the diffusion objectives of LLaDA-layout models");
            if (options.resume && !config.neverPredictMask())
                throw new IllegalArgumentException(out + " was not trained with --never-predict-mask; it cannot be added on --resume");
            config = config.withNeverPredictMask(true);
        }
        if (initStd != null && (options.resume || initFrom != null))
            throw new IllegalArgumentException("--init-std sets the random initialisation of a model trained from scratch, not of "
                    + (options.resume ? "a resumed run" : "--init-from's weights"));
        if (initStd != null && !(initStd > 0 && Double.isFinite(initStd)))
            throw new IllegalArgumentException("--init-std must be a positive number, got " + initStd);
        if (kind == ObjectiveKind.BLOCK) config = blockConfig(config);
        else if (blockSize != null)
            throw new IllegalArgumentException("--block-size belongs to --objective block");
        if (kind == ObjectiveKind.AR && maskRateRange != null)
            throw new IllegalArgumentException("--mask-rate-range does not apply to --objective ar (nothing is masked)");
        if (kind != ObjectiveKind.BLOCK && config.blockDiffusion())
            throw new IllegalArgumentException((options.resume ? out : initFrom) + " is a block-diffusion model (block_size "
                    + config.blockSize() + "): train it with --objective block");
        double[] rates = maskRates(maskRateRange);
        if (options.resume && kind != ObjectiveKind.AR) {
            double[] saved = TrainerState.read(out).maskRates();
            if (maskRateRange == null && saved != null) rates = saved;
            else if (maskRateRange == null)
                err.printf(Locale.ROOT, "note: %s does not record its masking rates (an older checkpoint); drawing them from [%s, %s]"
                        + " (--mask-rate-range chooses)%n", out, rates[0], rates[1]);
            else if (saved != null && (saved[0] != rates[0] || saved[1] != rates[1]))
                err.printf(Locale.ROOT, "note: masking rates change from the checkpoint's [%s, %s] to [%s, %s]%n",
                        saved[0], saved[1], rates[0], rates[1]);
        }
        LossWeighting weighting = lossWeighting(kind, err);
        boolean stratified = stratified(kind, err);
        Objective obj = switch (kind) {
            case DIFFUSION -> new DiffusionObjective(config.maskTokenId(), rates[0], rates[1], DiffusionObjective.DEFAULT_TRUNCATE,
                    stratified, config.logitShift(), weighting);
            case AR -> new AutoregressiveObjective();
            case BLOCK -> new BlockDiffusionObjective(config.maskTokenId(), config.blockSize(), rates[0], rates[1], stratified,
                    config.logitShift());
        };
        int seqLen = options.seqLen(config);
        // block diffusion needs no anneal: its attention is block-causal from the first step, close to the causal mask
        if (kind == ObjectiveKind.BLOCK && annealSteps != null && annealSteps > 0)
            throw new IllegalArgumentException("--anneal-steps does not apply to --objective block (its attention is block-causal throughout)");
        long anneal = annealSteps != null ? annealSteps
                : options.resume ? TrainerState.read(out).annealSteps()
                : kind == ObjectiveKind.DIFFUSION && fromAr ? defaultAnneal(budget) : 0;
        TrainOptions topts = options.toTrainOptions(budget, seqLen, 1e-3, new AttentionAnneal(anneal), out);

        TokenizerSetup.install(tok, out);
        try (CorpusData data = CorpusData.load(corpus, validCorpus, textField, tok.tokenizer(), tok.file(), options.cacheDir(),
                SpecialTokens.documentSeparator(tok.tokenizer(), config.eosTokenId()), seqLen, options.valWindows)) {
            WindowSampler sampler = new WindowSampler(data.train(), topts.batch(), seqLen, options.seed, budget.byEpochs(),
                    Corpora.absolute(corpus));
            Validation validation = data.valid() == null ? null
                    : new Validation(Validation.windows(data.valid(), seqLen, options.valWindows), options.valGrid, topts.batch(),
                    Elbo.DEFAULT_SEED, validCorpus).withTokensPerByte(data.validTokensPerByte());
            TrainableModel model = config.family().randomEngine(config, options.seed, initStd == null ? Parameters.INIT_STD : initStd);
            if (initFrom != null && !options.resume) {
                start.loadInto(model);
                if (start.addsHead()) err.println("added a masked-LM head tied to the word embeddings (" + initFrom + " has none)");
                err.printf(Locale.ROOT, "initialised from %s%s%s%n", initFrom,
                        config.logitShift() ? " (keeps next-token prediction: shift_logits)" : "",
                        anneal > 0 ? "; attention annealed to bidirectional over " + anneal + " steps" : "");
            }
            err.printf(Locale.ROOT, "model: %s, %.2fM parameters, d=%d, %d layers, %d heads, vocab %d; objective %s%n",
                    architecture != null && architecture.preset != null ? architecture.preset : initFrom != null && !options.resume ? "from " + initFrom : "custom",
                    config.parameterCount() / 1e6, config.dModel(), config.nLayers(), config.nHeads(), config.vocabSize(), obj.name());
            err.printf(Locale.ROOT, "data: %,d training tokens from %s; validation: %s%n", data.train().size(), corpus, data.validSource());
            return TrainingRun.run(model, obj, sampler, validation, out, topts, options, err);
        }
    }

    /**
     * The training corpus: --corpus, or on --resume the one the run saved with its data position (a file by its
     * absolute path). Another corpus on resume is allowed; the trainer notes when its tokens differ from the run's.
     */
    private void settleCorpus() throws IOException {
        if (corpus != null) return;
        java.util.Optional<String> saved = options.resume ? WindowSampler.corpus(TrainerState.read(out).data()) : java.util.Optional.empty();
        corpus = saved.orElseThrow(() -> new IllegalArgumentException("missing --corpus PATH|default"
                + (options.resume ? " (" + out + " was saved before runs recorded their corpus)" : "")));
    }

    /**
     * The validation corpus: on --resume, the run's own unless another is given: without it the training corpus would give
     * up held-out text again, so the resumed run would train on less data than it did and not continue exactly.
     */
    private void settleValidCorpus(PrintStream err) throws IOException {
        // a file is saved with its absolute path, so that a resume from another directory finds it again
        if (validCorpus != null) validCorpus = Corpora.absolute(validCorpus);
        if (!options.resume) return;
        RunSettings saved = TrainerState.read(out).settings();
        if (saved == null) return;
        String before = saved.validCorpus();
        if (validCorpus == null) {
            validCorpus = before;
        } else if (!validCorpus.equals(before)) {
            err.println("note: --valid-corpus " + validCorpus + " differs from the run's "
                    + (before == null ? "text held out of --corpus" : before)
                    + "; the training data changes with it, so the resumed run is not an exact continuation");
        }
    }

    /** --loss-weighting, else the resumed checkpoint's, else the ELBO's; only --objective diffusion has a choice. */
    private LossWeighting lossWeighting(ObjectiveKind kind, PrintStream err) throws IOException {
        LossWeighting chosen = null;
        if (lossWeighting != null) {
            try {
                chosen = LossWeighting.parse(lossWeighting);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--loss-weighting must be elbo or mean, got '" + lossWeighting + "'", e);
            }
        }
        if (chosen != null && kind != ObjectiveKind.DIFFUSION)
            throw new IllegalArgumentException("--loss-weighting applies to --objective diffusion only");
        LossWeighting saved = options.resume ? TrainerState.read(out).lossWeighting() : null;
        if (chosen == null) return saved != null ? saved : LossWeighting.ELBO;
        if (saved != null && saved != chosen)
            err.printf(Locale.ROOT, "note: the loss weighting changes from the checkpoint's %s to %s%n", saved.cliName(), chosen.cliName());
        return chosen;
    }

    /** --stratified / --no-stratified, else the resumed checkpoint's choice, else independent rates. */
    private boolean stratified(ObjectiveKind kind, PrintStream err) throws IOException {
        if (stratified != null && kind == ObjectiveKind.AR)
            throw new IllegalArgumentException("--stratified does not apply to --objective ar (nothing is masked)");
        Boolean saved = options.resume ? TrainerState.read(out).stratified() : null;
        if (stratified == null && saved == null && options.resume && kind != ObjectiveKind.AR)
            err.printf(Locale.ROOT, "note: %s does not record whether its masking rates were stratified (an older checkpoint);"
                    + " drawing them independently (--stratified chooses)%n", out);
        if (stratified == null) return saved != null && saved;
        if (saved != null && !saved.equals(stratified))
            err.printf(Locale.ROOT, "note: masking rates change from %s to %s%n", spread(saved), spread(stratified));
        return stratified;
    }

    private static String spread(boolean stratified) { return stratified ? "stratified over the batch" : "independent draws"; }

    /** The config with the block size of --block-size (required unless the config already has one). */
    private ModelConfig blockConfig(ModelConfig config) {
        if (blockSize == null) {
            if (config.blockDiffusion()) return config;
            throw new IllegalArgumentException("--objective block needs --block-size B");
        }
        if (blockSize < 1) throw new IllegalArgumentException("--block-size must be at least 1, got " + blockSize);
        if (options.resume && config.blockSize() != blockSize)
            throw new IllegalArgumentException("--block-size " + blockSize + " differs from the checkpoint's block_size " + config.blockSize());
        return config.withBlockSize(blockSize);
    }

    /**
     * The masking rates diffusion and block diffusion draw when --mask-rate-range is absent: the winner of the recipe
     * ablation in docs/training.md (plain diffusion: 0.77 bits/token better than LLaDA's [0.001, 1] on average at 1.5M
     * tokens of the tiny preset; the demo's block stage: 0.08 better; three seeds each).
     */
    static final double[] MASK_RATES = {0.2, 0.8};

    /** --mask-rate-range as {low, high}; when absent, {@link #MASK_RATES}. */
    static double[] maskRates(String flag) {
        if (flag == null) return MASK_RATES.clone();
        String[] parts = flag.split(",");
        try {
            if (parts.length == 2) {
                double lo = Double.parseDouble(parts[0].trim()), hi = Double.parseDouble(parts[1].trim());
                if (lo > 0 && lo <= hi && hi <= 1) return new double[]{lo, hi};
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("--mask-rate-range must be LOW,HIGH with 0 < LOW <= HIGH <= 1, got '" + flag + "'");
    }

    /** A tenth of a run of known length, else 200 steps. */
    private static long defaultAnneal(Budget budget) {
        return budget.maxSteps() > 0 ? Math.max(1, budget.maxSteps() / 10) : 200;
    }
}
