package org.unmask.cli;

import org.unmask.api.UnmaskModel;
import org.unmask.diffusion.Likelihood;
import org.unmask.diffusion.NextTokenNll;
import org.unmask.model.Denoiser;
import org.unmask.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code unmask score}: Monte Carlo estimate of log p(answer | prompt), as LLaDA's get_log_likelihood. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Estimate log p(answer | prompt) by Monte Carlo over masked answers (a lower bound; exact for one token).")
public final class ScoreCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or a Hub model ORG/NAME[@REV] (see pull).")
    Path modelDir;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt (context) text.")
    String prompt;

    @Option(names = "--answer", paramLabel = "TEXT", description = "Answer (continuation) text.")
    String answer;

    @Option(names = "--prompt-ids", paramLabel = "IDS", description = "Prompt as token ids.")
    String promptIds;

    @Option(names = "--answer-ids", paramLabel = "IDS", description = "Answer as token ids.")
    String answerIds;

    @Option(names = "--mc-num", paramLabel = "N", description = "Monte Carlo draws (a multiple of --batch); required but for an "
            + "autoregressive model, whose likelihood is exact.")
    Integer mcNum;

    @Option(names = "--batch", paramLabel = "B", description = "Draws per forward pass (default: the largest divisor of --mc-num up to 16).")
    Integer batch;

    @Option(names = "--cfg-scale", defaultValue = "0", description = "Classifier-free guidance weight (0 = off).")
    double cfgScale;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the mask draws.")
    long seed;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        UnmaskModel model = ModelDirs.load(modelDir);
        return run(model.denoiser(), model.autoregressive(), model.tokenizer(), spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** The command body over an already loaded diffusion model. */
    int run(Denoiser model, Optional<Tokenizer> tok, PrintWriter out, PrintWriter err) {
        return run(model, false, tok, out, err);
    }

    /** The command body over an already loaded model; an autoregressive one is scored exactly. */
    int run(Denoiser model, boolean autoregressive, Optional<Tokenizer> tok, PrintWriter out, PrintWriter err) {
        boolean text = prompt != null || answer != null, ids = promptIds != null || answerIds != null;
        if (text == ids) throw new IllegalArgumentException("give either --prompt and --answer, or --prompt-ids and --answer-ids");
        int[] p, a;
        if (text) {
            if (prompt == null || answer == null) throw new IllegalArgumentException("--prompt and --answer go together");
            int[][] pair = Likelihood.encodePair(Ids.requireTokenizer(tok, modelDir, "--prompt-ids/--answer-ids"), prompt, answer);
            p = pair[0];
            a = pair[1];
        } else {
            if (promptIds == null || answerIds == null) throw new IllegalArgumentException("--prompt-ids and --answer-ids go together");
            p = Ids.parse(promptIds, "--prompt-ids");
            a = Ids.parse(answerIds, "--answer-ids");
        }
        long t0 = System.nanoTime();
        double ll;
        if (autoregressive) {
            if (cfgScale != 0) throw new IllegalArgumentException("--cfg-scale: an autoregressive model's likelihood is exact and unguided");
            ll = NextTokenNll.logLikelihood(model, p, a);
            err.printf("unmask: prompt %d tokens, answer %d tokens, exact (an autoregressive model, one causal forward), %.2f s%n",
                    p.length, a.length, (System.nanoTime() - t0) / 1e9);
        } else {
            if (mcNum == null) throw new IllegalArgumentException("missing --mc-num N: the Monte Carlo draws of the estimate");
            if (mcNum <= 0) throw new IllegalArgumentException("--mc-num must be positive, got " + mcNum);
            int b = batch == null ? Likelihood.defaultBatch(mcNum, 16) : batch;
            ll = Likelihood.logLikelihood(model, p, a, mcNum, b, cfgScale, seed);
            err.printf("unmask: prompt %d tokens, answer %d tokens, %d draws in batches of %d, %.2f s%n",
                    p.length, a.length, mcNum, b, (System.nanoTime() - t0) / 1e9);
        }
        err.flush();
        out.println("log_likelihood " + ll);
        out.flush();
        return 0;
    }
}
