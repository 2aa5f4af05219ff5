package org.unmask.cli;

import org.unmask.api.Generation;
import org.unmask.api.UnmaskModel;
import org.unmask.diffusion.SampleJudge;
import org.unmask.diffusion.SamplerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code unmask eval samples}: generates samples with a model and judges them with an autoregressive one: the judge's
 * perplexity of the generated tokens, and their unigram entropy (so that repetition cannot pass for quality); without
 * a judge, the samples and their entropy.
 */
@Command(name = "samples", mixinStandardHelpOptions = true,
        description = "Generate --count samples and judge them with an autoregressive model (perplexity, unigram entropy;"
                + " without --judge, the entropy only).")
public final class EvalSamplesCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The model that writes (a model directory or ORG/NAME[@REV]).")
    Path modelDir;

    @Option(names = "--judge", paramLabel = "DIR", description = "The autoregressive model that judges (e.g. an 'ar' training run);"
            + " without one, the samples and their unigram entropy only.")
    Path judgeDir;

    @Option(names = "--count", defaultValue = "32", description = "Samples (default: ${DEFAULT-VALUE}); sample j uses --seed + j.")
    int count;

    @Option(names = "--gen-length", defaultValue = "64", description = "Tokens per sample (default: ${DEFAULT-VALUE}).")
    int genLength;

    @Option(names = "--prompt", defaultValue = "", paramLabel = "TEXT",
            description = "Text every sample continues (default: none, only the tokenizer's start token).")
    String prompt;

    @Option(names = "--batch", defaultValue = "8", description = "Samples generated together (default: ${DEFAULT-VALUE}).")
    int batch;

    @Mixin SamplingOptions sampling;

    @Spec CommandSpec spec;

    @Override public Integer call() throws Exception {
        if (count < 1 || genLength < 1 || batch < 1) throw new IllegalArgumentException("--count, --gen-length and --batch must be positive");
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        UnmaskModel model = ModelDirs.load(modelDir), judge = judgeDir == null ? null : ModelDirs.load(judgeDir);
        if (judge != null && judge.config().vocabSize() != model.config().vocabSize())
            throw new IllegalArgumentException("--judge " + judgeDir + " has a vocabulary of " + judge.config().vocabSize()
                    + " tokens, the model " + model.config().vocabSize() + ": the judge must share the model's tokenizer");
        int[] ids = model.encodePrompt(prompt);
        var c = model.config();
        List<int[]> prompts = new ArrayList<>(), samples = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (int from = 0; from < count; from += batch) {
            int n = Math.min(batch, count - from);
            // the batch's row j uses its seed + j, so sample k always has seed + k however the samples are batched
            SamplerConfig cfg = sampling.builder(model.generationDefaults(), genLength, genLength, genLength)
                    .specialIds(c.canvasMaskId(), c.eosTokenId(), model.eotId()).seed(sampling.seed + from).build();
            List<int[]> rows = new ArrayList<>();
            for (int j = 0; j < n; j++) rows.add(ids);
            for (Generation g : model.run(rows, cfg, null, false)) {
                prompts.add(ids);
                samples.add(g.tokens());
                texts.add(g.text());
            }
            err.printf("generated %d/%d%n", samples.size(), count);
            err.flush();
        }
        if (judge == null) {
            for (int k = 0; k < samples.size(); k++)
                out.printf(Locale.ROOT, "sample %d (seed %d): %s%n", k, sampling.seed + k, texts.get(k).replace("\n", " / "));
            out.printf(Locale.ROOT, "samples %d tokens %d%n", samples.size(), samples.stream().mapToLong(t -> t.length).sum());
            out.printf(Locale.ROOT, "unigram_entropy_bits %.4f%n", SampleJudge.unigramEntropyBits(samples));
            out.printf(Locale.ROOT, "distinct_tokens %d%n", SampleJudge.distinct(samples));
            out.flush();
            return 0;
        }
        SampleJudge.Verdict all = SampleJudge.judge(judge.denoiser(), prompts, samples);
        for (int k = 0; k < samples.size(); k++) {
            SampleJudge.Verdict one = SampleJudge.judge(judge.denoiser(), List.of(prompts.get(k)), List.of(samples.get(k)));
            out.printf(Locale.ROOT, "sample %d (seed %d, judge perplexity %.1f): %s%n", k, sampling.seed + k, one.perplexity(),
                    texts.get(k).replace("\n", " / "));
        }
        out.printf(Locale.ROOT, "samples %d tokens %d%n", samples.size(), all.tokens());
        out.printf(Locale.ROOT, "judge_nll_bits_per_token %.4f%n", all.nllBitsPerToken());
        out.printf(Locale.ROOT, "judge_perplexity %.2f%n", all.perplexity());
        out.printf(Locale.ROOT, "unigram_entropy_bits %.4f%n", all.unigramEntropyBits());
        out.printf(Locale.ROOT, "distinct_tokens %d%n", all.distinctTokens());
        out.flush();
        return 0;
    }
}
