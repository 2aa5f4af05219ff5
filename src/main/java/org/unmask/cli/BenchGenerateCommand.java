package org.unmask.cli;

import org.unmask.api.Generation;
import org.unmask.api.UnmaskModel;
import org.unmask.diffusion.CacheMode;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.model.ModelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code unmask bench generate}: the speed of one generation run of a real model directory: forward passes, tokens
 * per forward, time per step and the cache's memory, ending with {@code generate tokens/s: X}.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Time generation runs of a model: forward passes, tokens per forward, time per step, cache memory, tokens/s.")
final class BenchGenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or a Hub model ORG/NAME[@REV].")
    Path modelDir;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text (default: --prompt-len random token ids).")
    String prompt;

    @Option(names = "--prompt-len", paramLabel = "P", defaultValue = "64", description = "Random prompt tokens when no --prompt is given (default ${DEFAULT-VALUE}).")
    int promptLen;

    @Option(names = "--gen-length", paramLabel = "N", defaultValue = "128", description = "Tokens to generate (default ${DEFAULT-VALUE}).")
    int genLength;

    @Option(names = "--runs", paramLabel = "R", defaultValue = "1", description = "Timed runs; the figures are the best run's (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", paramLabel = "W", defaultValue = "0", description = "Untimed runs first, for the JIT (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--agreement", description = "Also generate without a cache and print the fraction of generated tokens that agree (deterministic settings only).")
    boolean agreement;

    @Mixin SamplingOptions sampling;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (genLength <= 0 || promptLen < 0 || runs <= 0 || warmup < 0)
            throw new IllegalArgumentException("--gen-length and --runs must be positive, --prompt-len and --warmup non-negative");
        UnmaskModel model = ModelDirs.load(modelDir);
        ModelConfig c = model.config();
        int[] promptIds = prompt != null ? model.encodePrompt(prompt) : randomPrompt(c, promptLen, 7);
        int defaultBlock = Math.min(genLength, 32);
        SamplerConfig cfg = sampling.config(model.generationDefaults(), genLength, genLength,
                genLength % defaultBlock == 0 ? defaultBlock : genLength, c.canvasMaskId(), c.eosTokenId(), model.eotId());
        out.printf(Locale.ROOT, "model: %s, %s, %d layers, d_model %d, vocab %d%n", modelDir, c.family().name(), c.nLayers(), c.dModel(), c.embeddingSize());
        out.printf(Locale.ROOT, "prompt %d tokens, gen length %d, block %d%s, %s, cache %s, threshold %s, %d threads%n",
                promptIds.length, genLength, cfg.blockLength(), cfg.blockCausal() ? " (block-causal)" : "",
                cfg.blockCausal() ? cfg.stepsPerBlock() + " steps per block" : cfg.steps() + " steps", cfg.cacheName(),
                Double.isNaN(cfg.threshold()) ? "off" : cfg.threshold(), org.unmask.compute.Parallel.threads());
        out.flush();
        for (int i = 0; i < warmup; i++) model.run(List.of(promptIds), cfg, null, false);
        Generation best = null;
        for (int i = 1; i <= runs; i++) {
            Generation g = model.run(List.of(promptIds), cfg, null, false).getFirst();
            out.printf(Locale.ROOT, "run %d: %.2f s, %d steps, %d forward passes%n", i, seconds(g), g.steps(), g.forwardPasses());
            out.flush();
            if (best == null || g.elapsed().compareTo(best.elapsed()) < 0) best = g;
        }
        double s = seconds(best);
        out.printf(Locale.ROOT, "forward passes: %d%n", best.forwardPasses());
        out.printf(Locale.ROOT, "tokens per forward: %.2f%n", (double) genLength / best.forwardPasses());
        out.printf(Locale.ROOT, "time per step: %.1f ms%n", 1e3 * s / best.steps());
        out.printf(Locale.ROOT, "cache memory: %.1f MiB%n", best.cacheBytes() / 1048576.0);
        if (agreement) printAgreement(out, model, promptIds, cfg, best);
        out.printf(Locale.ROOT, "generate tokens/s: %.3f%n", genLength / s);
        out.flush();
        return 0;
    }

    /** Fraction of generated positions where the uncached run wrote the same token, and its speed for comparison. */
    private void printAgreement(PrintWriter out, UnmaskModel model, int[] promptIds, SamplerConfig cfg, Generation cached) {
        if (!cfg.deterministic())
            throw new IllegalArgumentException("--agreement compares two runs token by token: use deterministic settings (temperature 0, low_confidence)");
        Generation plain = model.run(List.of(promptIds), cfg.toBuilder().cache(CacheMode.NONE).build(), null, false).getFirst();
        int[] a = cached.tokens(), b = plain.tokens();
        int same = 0, n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) if (a[i] == b[i]) same++;
        out.printf(Locale.ROOT, "uncached: %.2f s, %d forward passes (%.2fx the cached time)%n", seconds(plain), plain.forwardPasses(), seconds(plain) / seconds(cached));
        out.printf(Locale.ROOT, "agreement with the uncached run: %.4f (%d of %d tokens)%n", (double) same / Math.max(1, n), same, n);
    }

    private static double seconds(Generation g) { return g.elapsed().toNanos() / 1e9; }

    /** Prompt ids drawn from the vocabulary, avoiding the special ids the sampler treats apart. */
    static int[] randomPrompt(ModelConfig c, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            int id;
            do id = r.nextInt(c.vocabSize());
            while (id == c.canvasMaskId() || id == c.eosTokenId() || id == c.padTokenId() || Integer.valueOf(id).equals(c.bosTokenIdOrNull()));
            ids[i] = id;
        }
        return ids;
    }
}
