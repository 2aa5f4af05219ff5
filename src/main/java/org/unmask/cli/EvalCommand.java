package org.unmask.cli;

import org.unmask.data.ChoiceTask;
import org.unmask.data.Corpora;
import org.unmask.api.UnmaskModel;
import org.unmask.diffusion.MultipleChoice;
import org.unmask.diffusion.Elbo;
import org.unmask.diffusion.NllEstimate;
import org.unmask.train.ObjectiveKind;
import org.unmask.data.Tokens;
import org.unmask.train.Validation;
import org.unmask.diffusion.Likelihood;
import org.unmask.model.Denoiser;
import org.unmask.text.SpecialTokens;
import org.unmask.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code unmask eval --corpus FILE}: a deterministic ELBO of a text corpus (bits per token, perplexity bound), and
 * {@code unmask eval mc --tasks FILE.jsonl}: multiple-choice accuracy by likelihood, scored like lm-evaluation-harness.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, subcommands = {EvalCommand.Mc.class, EvalSamplesCommand.class},
        description = "Evaluate a model: ELBO of a corpus (bits per token, perplexity bound), or 'eval mc' multiple choice.")
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Model directory, or a Hub model ORG/NAME[@REV] (see pull).")
    Path modelDir;

    @Option(names = "--corpus", paramLabel = "PATH|default:valid",
            description = "Text file, directory, .gz, JSONL (--text-field), or default:valid (the shipped validation split); "
                    + "documents are separated as in training: by <|endoftext|>, or the model's end of text (config.json's eos_token_id) when the tokenizer has none.")
    String corpus;

    @Option(names = "--text-field", defaultValue = "text", description = "JSONL field holding the text (default: ${DEFAULT-VALUE}).")
    String textField;

    @Option(names = "--seq-len", defaultValue = "256", description = "Tokens per scored window (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--grid", defaultValue = "" + Elbo.DEFAULT_GRID,
            description = "Points of the fixed t grid per window, as train's --val-grid (default: ${DEFAULT-VALUE}).")
    int grid;

    @Option(names = "--batch", defaultValue = "8", description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--max-chunks", defaultValue = "0", description = "Score at most this many windows, as train's --val-windows (0 = all).")
    int maxChunks;

    @Option(names = "--seed", defaultValue = "" + Elbo.DEFAULT_SEED, description = "Seed of the fixed mask choices (default: ${DEFAULT-VALUE}, as train's validation).")
    long seed;

    @Option(names = "--by-rate", description = "Also print the bound's integrand: the mean cross-entropy of a masked token "
            + "at each masking rate t of the grid (the bound is their average).")
    boolean byRate;

    @Option(names = "--objective", paramLabel = "diffusion|ar", converter = Converters.Objective.class,
            description = "How the model was trained: 'diffusion' scores the ELBO (a bound), 'ar' the exact next-token NLL "
                    + "with a causal mask (default: the objective in the run's trainer_state.json, else diffusion).")
    ObjectiveKind objective;

    @Spec CommandSpec spec;

    /**
     * Whether the model is autoregressive: the option, else its family's (Llama) or the run's trainer state ("ar"; sft
     * and diffusion runs are not).
     */
    private boolean autoregressive(Denoiser model) throws IOException {
        if (objective != null) return objective == ObjectiveKind.AR;
        return model.config().family().autoregressive()
                || modelDir != null && org.unmask.train.TrainerState.autoregressive(ModelDirs.resolve(modelDir));
    }

    @Override
    public Integer call() throws Exception {
        if (modelDir == null) throw new IllegalArgumentException("missing --model DIR");
        if (corpus == null) throw new IllegalArgumentException("missing --corpus PATH (or use 'unmask eval mc --tasks FILE.jsonl')");
        UnmaskModel model = ModelDirs.load(modelDir);
        return run(model.denoiser(), model.tokenizer(), spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** The command body over an already loaded model. */
    int run(Denoiser model, Optional<Tokenizer> tok, PrintWriter out, PrintWriter err) throws IOException {
        if (seqLen <= 0 || grid <= 0 || batch <= 0) throw new IllegalArgumentException("--seq-len, --grid and --batch must be positive");
        if (!Corpora.isDefault(corpus) && !Files.exists(Path.of(corpus))) throw new IOException(corpus + ": no such file or directory");
        Tokenizer t = Ids.requireTokenizer(tok, modelDir, null);
        Iterable<String> docs = Corpora.documents(corpus, textField);
        // documents are separated as in training
        int separator = Corpora.checkSeparator(SpecialTokens.documentSeparator(t, model.config().eosTokenId()), t, modelDir + "'s tokenizer");
        Tokens ids = Tokens.of(Corpora.encode(docs, t, separator));
        if (ids.size() == 0) throw new IllegalArgumentException(corpus + ": no tokens");
        // bits per byte compares models across tokenizers: bits per token × the corpus's tokens per byte
        double tokensPerByte = (double) ids.size() / Corpora.textBytes(docs);
        int len = Math.min(seqLen, model.config().maxSequenceLength());
        Validation v = new Validation(Validation.windows(ids, len, maxChunks), grid, batch, seed);
        boolean ar = autoregressive(model);
        err.printf("scoring %d windows of up to %d tokens (%s)%n", v.windows(), len, ar ? "exact next-token NLL" : "ELBO, " + grid + " grid points");
        err.flush();
        if (ar && byRate) throw new IllegalArgumentException("--by-rate needs a diffusion model: an autoregressive model has no masking rate");
        Elbo.Curve curve = ar ? null : v.diffusionCurve(model);
        NllEstimate e = ar ? v.autoregressiveNll(model) : curve.bound();
        out.printf("chunks %d tokens %d%n", v.windows(), e.tokens());
        out.printf(Locale.ROOT, "%s %.6f%n", ar ? "nll_nats_per_token" : "nll_bound_nats_per_token", e.natsPerToken());
        out.printf(Locale.ROOT, "bits_per_token %.6f%n", e.bitsPerToken());
        out.printf(Locale.ROOT, "bits_per_byte %.6f%n", e.bitsPerToken() * tokensPerByte);
        out.printf(Locale.ROOT, "tokens_per_byte %.6f%n", tokensPerByte);
        out.printf(Locale.ROOT, "%s %.4f%n", ar ? "perplexity" : "perplexity_bound", e.perplexity());
        if (byRate) {
            for (int k = 0; k < grid; k++)
                out.printf(Locale.ROOT, "t %.4f bits_per_masked_token %.6f%n", curve.t()[k], curve.natsPerMaskedToken()[k] / Math.log(2));
        }
        out.flush();
        return 0;
    }

    /** {@code unmask eval mc}: accuracy by log p(choice | context), argmax, and length-normalised accuracy. */
    @Command(name = "mc", mixinStandardHelpOptions = true,
            description = "Multiple-choice accuracy by likelihood (JSONL lines: context, choices, gold).")
    public static final class Mc implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or a Hub model ORG/NAME[@REV] (see pull).")
        Path modelDir;

        @Option(names = "--tasks", required = true, paramLabel = "FILE.jsonl", description = "One task per line: {\"context\":..., \"choices\":[...], \"gold\":i}.")
        Path tasks;

        @Option(names = "--mc-num", defaultValue = "32", description = "Monte Carlo draws per multi-token choice (default: ${DEFAULT-VALUE}).")
        int mcNum;

        @Option(names = "--batch", paramLabel = "B", description = "Draws per forward pass (default: the largest divisor of --mc-num up to 16).")
        Integer batch;

        @Option(names = "--cfg-scale", defaultValue = "0", description = "Classifier-free guidance weight.")
        double cfgScale;

        @Option(names = "--limit", defaultValue = "0", description = "Score at most this many tasks (0 = all).")
        int limit;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the mask draws.")
        long seed;

        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            UnmaskModel model = ModelDirs.load(modelDir);
            return run(model.denoiser(), model.tokenizer(), spec.commandLine().getOut(), spec.commandLine().getErr());
        }

        int run(Denoiser model, Optional<Tokenizer> tok, PrintWriter out, PrintWriter err) throws IOException {
            Tokenizer t = Ids.requireTokenizer(tok, modelDir, null);
            List<ChoiceTask> read = ChoiceTask.read(tasks);
            List<ChoiceTask> all = limit > 0 && read.size() > limit ? read.subList(0, limit) : read;
            int b = batch == null ? Likelihood.defaultBatch(mcNum, 16) : batch;
            MultipleChoice.Result r = MultipleChoice.evaluate(model, t, all, mcNum, b, cfgScale, seed, (done, acc, accNorm) -> {
                err.printf(Locale.ROOT, "\rtask %d/%d  acc %.4f  acc_norm %.4f", done, all.size(), acc, accNorm);
                err.flush();
            });
            err.println();
            out.printf("tasks %d%n", r.tasks());
            out.printf(Locale.ROOT, "acc %.4f%n", r.accuracy());
            out.printf(Locale.ROOT, "acc_norm %.4f%n", r.normalizedAccuracy());
            out.flush();
            return 0;
        }
    }
}
