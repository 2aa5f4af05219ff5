package org.unmask.cli;

import org.unmask.api.UnmaskModel;
import org.unmask.model.CachingDenoiser;
import org.unmask.model.Denoiser;
import org.unmask.model.KvCache;
import org.unmask.model.ModelConfig;
import org.unmask.model.kernels.AttentionPattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code unmask bench block}: what one decoding step of a block costs on a real model: the load time and resident
 * memory, one forward over the prefix and the block, and the block alone over the cached prefix.
 */
@Command(name = "block", mixinStandardHelpOptions = true,
        description = "Time one block step of a model: load, resident memory, a forward over prefix + block, and the block alone over the cached prefix.")
final class BenchBlockCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or a Hub model ORG/NAME[@REV].")
    Path modelDir;

    @Option(names = "--prefix", paramLabel = "P", defaultValue = "64", description = "Positions before the block (default ${DEFAULT-VALUE}).")
    int prefix;

    @Option(names = "--block", paramLabel = "B", defaultValue = "32", description = "Positions in the block (default ${DEFAULT-VALUE}).")
    int block;

    @Option(names = "--iters", paramLabel = "N", defaultValue = "2", description = "Timed repetitions of each forward; the best is reported (default ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--block-causal", description = "Block-causal attention with blocks of --block aligned at 0 (LLaDA 2.x; --prefix must be a multiple of --block).")
    boolean blockCausal;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (prefix < 0 || block <= 0 || iters <= 0) throw new IllegalArgumentException("--prefix must be non-negative, --block and --iters positive");
        if (blockCausal && prefix % block != 0) throw new IllegalArgumentException("--prefix " + prefix + " must be a multiple of --block " + block + " with --block-causal");
        long t0 = System.nanoTime();
        UnmaskModel model = ModelDirs.load(modelDir);
        double load = (System.nanoTime() - t0) / 1e9;
        ModelConfig c = model.config();
        out.printf(Locale.ROOT, "model: %s, %s, %d layers, d_model %d, %,d parameters%n", modelDir, c.family().name(), c.nLayers(), c.dModel(), c.parameterCount());
        out.printf(Locale.ROOT, "load: %.2f s, resident %s%n", load, resident());
        out.flush();
        Denoiser d = model.denoiser();
        if (!(d instanceof CachingDenoiser cd) || !cd.caching()) throw new IllegalArgumentException(modelDir + ": this model cannot run cached windows");
        int T = prefix + block;
        int[] ids = BenchGenerateCommand.randomPrompt(c, T, 11);
        for (int t = prefix; t < T; t++) ids[t] = c.maskTokenId();
        AttentionPattern pattern = blockCausal ? AttentionPattern.blockCausal(block) : AttentionPattern.BIDIRECTIONAL;
        int[] rows = new int[block];
        for (int i = 0; i < block; i++) rows[i] = prefix + i;
        double full = Double.MAX_VALUE, cached = Double.MAX_VALUE;
        KvCache cache = cd.newCache(T);
        for (int i = 0; i < iters; i++) {
            long s = System.nanoTime();
            cd.logits(cache, new int[]{0}, ids, 1, T, null, pattern, 0, T, rows);
            full = Math.min(full, (System.nanoTime() - s) / 1e9);
            out.printf(Locale.ROOT, "forward over %d positions (prefix and block): %.2f s, resident %s%n", T, (System.nanoTime() - s) / 1e9, resident());
            out.flush();
        }
        for (int i = 0; i < iters; i++) {
            long s = System.nanoTime();
            cd.logits(cache, new int[]{0}, ids, 1, T, null, pattern, prefix, T, rows);
            cached = Math.min(cached, (System.nanoTime() - s) / 1e9);
            out.printf(Locale.ROOT, "forward over the %d-position block, prefix cached: %.2f s, resident %s%n", block, (System.nanoTime() - s) / 1e9, resident());
            out.flush();
        }
        out.printf(Locale.ROOT, "cache memory: %.1f MiB%n", cache.bytes() / 1048576.0);
        out.printf(Locale.ROOT, "block step uncached: %.3f ms%n", full * 1e3);
        out.printf(Locale.ROOT, "block step cached: %.3f ms%n", cached * 1e3);
        out.flush();
        return 0;
    }

    /** The process's resident set as the kernel counts it (mapped weights included), or "unknown" off Linux. */
    static String resident() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return String.format(Locale.ROOT, "%.2f GiB", kb / 1048576.0);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return "unknown";
        }
        return "unknown";
    }
}
