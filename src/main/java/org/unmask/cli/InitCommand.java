package org.unmask.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.unmask.model.ModelConfig;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.RandomInit;
import org.unmask.model.io.TensorSource;
import org.unmask.model.tensor.DType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code unmask init}: writes a randomly initialised model directory, streamed tensor by tensor. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Write a randomly initialised model directory (config.json + safetensors) of any family: "
                + "matrices N(0, 0.02) from the seed, norm weights 1, biases 0.")
public final class InitCommand implements Callable<Integer> {

    static final class Architecture {
        @Option(names = "--config", paramLabel = "FILE", description = "config.json describing the architecture.")
        Path config;
        @Option(names = "--preset", paramLabel = "NAME",
                description = "micro, tiny, small, base (LLaDA layout), llada-8b (GSAI-ML/LLaDA-8B's shapes), dream-7b"
                        + " (Dream-v0-7B's shapes and Hugging Face layout) or llada2-mini (LLaDA2.x-mini, ~32 GB in bf16).")
        String preset;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Architecture architecture;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model directory to write.")
    Path out;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--dtype", paramLabel = "f32|bf16|f16", converter = Converters.FloatType.class,
            description = "Storage type (default: f32, or bf16 for models above a billion parameters).")
    DType dtype;

    @Option(names = "--shard-size", paramLabel = "BYTES", defaultValue = "3GB",
            description = "Largest safetensors file before sharding, e.g. 3000000000, 500MB, 3GB (default: ${DEFAULT-VALUE}).")
    String shardSize;

    @Option(names = "--force", description = "Replace a model that already exists in --out.")
    boolean force;

    @Spec CommandSpec spec;

    @Override public Integer call() throws Exception {
        ModelConfig config = architecture.config != null
                ? ModelConfig.read(architecture.config) : ModelConfig.preset(architecture.preset);
        DType type = dtype == null ? (config.parameterCount() > 1_000_000_000L ? DType.BF16 : DType.F32) : dtype;
        long maxShard = parseBytes(shardSize);
        if (!force && (Files.exists(out.resolve(Checkpoint.CONFIG)) || Files.exists(out.resolve(Checkpoint.SINGLE))
                || Files.exists(out.resolve(Checkpoint.INDEX)))) {
            throw new ParameterException(spec.commandLine(), out + " already holds a model; pass --force to replace it"
                    + " or choose another --out");
        }
        Map<String, TensorSource> tensors = RandomInit.tensors(config, seed);
        long total = config.parameterCount() * type.bytes;
        long start = System.nanoTime();
        java.io.Console console = System.console();
        if (total < (256L << 20)) {
            Checkpoint.saveSources(out, config, tensors, type, maxShard, null);
        } else if (console != null && console.isTerminal()) {
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("init").setInitialMax(total >> 20)
                    .setUnit(" MB", 1).showSpeed().build()) {
                Checkpoint.saveSources(out, config, tensors, type, maxShard, done -> bar.stepTo(done >> 20));
                bar.stepTo(total >> 20);
            }
        } else {
            // logs get one line per tenth instead of a redrawn bar
            PrintWriter err = spec.commandLine().getErr();
            int[] tenths = {0};
            Checkpoint.saveSources(out, config, tensors, type, maxShard, done -> {
                int t = (int) (done * 10 / total);
                if (t > tenths[0]) {
                    tenths[0] = t;
                    err.printf(Locale.ROOT, "init: %d%% (%.1f of %.1f GB, %.0f s)%n", t * 10, done / 1e9, total / 1e9,
                            (System.nanoTime() - start) / 1e9);
                    err.flush();
                }
            });
        }
        double secs = (System.nanoTime() - start) / 1e9;
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "wrote %s: %,d parameters as %s (%.2f GB), seed %d, in %.1f s%n",
                out, config.parameterCount(), type.name().toLowerCase(Locale.ROOT), total / 1e9, seed, secs);
        o.flush();
        return 0;
    }

    /** Bytes from a plain number or one with a decimal KB/MB/GB suffix (as Hugging Face writes shard sizes). */
    long parseBytes(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long mult = 1;
        for (String[] u : new String[][]{{"KB", "1000"}, {"MB", "1000000"}, {"GB", "1000000000"}, {"B", "1"}}) {
            if (t.endsWith(u[0])) {
                mult = Long.parseLong(u[1]);
                t = t.substring(0, t.length() - u[0].length()).trim();
                break;
            }
        }
        try {
            long v = Math.multiplyExact(Long.parseLong(t), mult);
            if (v <= 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ParameterException(spec.commandLine(), "--shard-size must be a positive byte count such as "
                    + "3000000000 or 3GB, got '" + s + "'");
        }
    }
}
