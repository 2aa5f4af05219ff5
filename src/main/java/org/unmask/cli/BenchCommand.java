package org.unmask.cli;

import org.unmask.compute.Parallel;
import org.unmask.model.Transformer;
import org.unmask.model.ModelFlops;
import org.unmask.model.ModelConfig;
import org.unmask.train.AdamW;
import org.unmask.train.CleanBatch;
import org.unmask.train.DiffusionObjective;
import org.unmask.train.Rng;
import org.unmask.train.TrainBatch;
import org.unmask.train.GradClip;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/** {@code unmask bench train|forward}: speed of whole training steps and forward passes of a random model. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure the speed of training steps, forward passes, matrix products and generation.",
        subcommands = {BenchCommand.Train.class, BenchCommand.Forward.class, BenchMatmulCommand.class, BenchGenerateCommand.class, BenchBlockCommand.class})
public final class BenchCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    /** Where the architecture comes from: a config.json or a preset name. */
    static final class Source {
        @Option(names = "--config", paramLabel = "FILE", description = "A Hugging Face LLaDA config.json.") Path config;
        @Option(names = "--preset", paramLabel = "NAME", description = "A named architecture: micro, tiny, small, base, llada-8b.") String preset;
    }

    /** The options both benchmarks share. */
    static final class Shape {
        @ArgGroup(exclusive = true, multiplicity = "1") Source source;
        @Option(names = "--seq-len", paramLabel = "T", defaultValue = "256", description = "Tokens per sequence (default ${DEFAULT-VALUE}).") int seqLen;
        @Option(names = "--batch", paramLabel = "B", defaultValue = "4", description = "Sequences per step (default ${DEFAULT-VALUE}).") int batch;
        @Option(names = "--iters", paramLabel = "N", defaultValue = "5", description = "Timed iterations after one warm-up (default ${DEFAULT-VALUE}).") int iters;
        @Option(names = "--seed", defaultValue = "1", description = "Seed of the random model and data (default ${DEFAULT-VALUE}).") long seed;

        ModelConfig config(CommandSpec spec) throws IOException {
            if (seqLen <= 0 || batch <= 0 || iters <= 0) {
                throw new ParameterException(spec.commandLine(), "--seq-len, --batch and --iters must be positive");
            }
            ModelConfig c = source.config != null ? ModelConfig.read(source.config) : ModelConfig.preset(source.preset);
            if (c.parameterCount() > Integer.MAX_VALUE - 16) {
                throw new ParameterException(spec.commandLine(), String.format(Locale.ROOT,
                        "the benchmark builds a random float32 model in memory; this config has %,d parameters, more than one buffer holds (%,d)",
                        c.parameterCount(), Integer.MAX_VALUE - 16));
            }
            return c;
        }

        /** The lines every benchmark starts with: the architecture and the batch. */
        void printHeader(PrintStream out, ModelConfig c) {
            out.printf(Locale.ROOT, "model: d_model %d, %d layers, %d heads (%d kv), mlp %d, vocab %d, %,d parameters%n",
                    c.dModel(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.mlpHiddenSize(), c.embeddingSize(), c.parameterCount());
            out.printf(Locale.ROOT, "batch %d x %d tokens, %d timed iterations, %d threads%n", batch, seqLen, iters,
                    org.unmask.compute.Parallel.threads());
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Time whole training steps (forward, backward, gradient clipping, AdamW) of a random model.")
    static final class Train implements java.util.concurrent.Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Shape shape;

        @Override public Integer call() throws IOException {
            ModelConfig c = shape.config(spec);
            PrintStream out = System.out;
            int B = shape.batch, T = shape.seqLen, n = B * T;
            shape.printHeader(out, c);
            Transformer model = Transformer.randomInit(c, shape.seed);
            AdamW opt = new AdamW(model.parameters(), 0.9, 0.95, 1e-8, 0.1);
            Rng rnd = new Rng(shape.seed + 1);
            model.profileMatMul(true);
            double total = 0, matmul = 0;
            long rowsTotal = 0;
            for (int it = 0; it <= shape.iters; it++) {
                TrainBatch b = maskedBatch(rnd, c, B, T);
                long t0 = System.nanoTime();
                model.parameters().zeroGrads();
                double loss = model.forwardBackward(b.ids(), B, T, null, null, b.rows(), b.targets(), b.weights());
                GradClip.clipGlobalNorm(model.parameters().grads(), 1.0);
                opt.step(1e-3);
                double s = (System.nanoTime() - t0) / 1e9, mm = model.takeMatMulNanos() / 1e9;
                if (it == 0) {
                    out.printf(Locale.ROOT, "warm-up: %.1f ms, loss %.4f%n", s * 1e3, loss);
                    continue;
                }
                total += s;
                matmul += mm;
                rowsTotal += b.rows().length;
                out.printf(Locale.ROOT, "iter %d: %.1f ms (matrix products %.1f ms of thread time), loss %.4f, %d masked rows%n",
                        it, s * 1e3, mm * 1e3, loss, b.rows().length);
            }
            double perIter = total / shape.iters;
            int rows = (int) (rowsTotal / shape.iters);
            double flops = 3 * ModelFlops.forward(c, B, T, rows);
            // the shards of a step run at once, so their matrix-product times add up to more than the step's
            out.printf(Locale.ROOT, "mean step: %.1f ms; matrix products %.1f ms of thread time per step (%d training shards at once)%n",
                    perIter * 1e3, matmul / shape.iters * 1e3, Math.min(Transformer.TRAINING_SHARDS, B));
            out.printf(Locale.ROOT, "model: %.2f GFLOP per step (3x forward), %.2f GFLOPS achieved%n", flops / 1e9, flops / perIter / 1e9);
            ModelFlops.matMulReport(out, c, n, rows, true);
            out.printf(Locale.ROOT, "train tokens/s: %.1f%n", n / perIter);
            return 0;
        }
    }

    @Command(name = "forward", mixinStandardHelpOptions = true,
            description = "Time bidirectional forward passes (logits at every position) of a random model.")
    static final class Forward implements java.util.concurrent.Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Shape shape;

        @Override public Integer call() throws IOException {
            ModelConfig c = shape.config(spec);
            PrintStream out = System.out;
            int B = shape.batch, T = shape.seqLen, n = B * T;
            shape.printHeader(out, c);
            Transformer model = Transformer.randomInit(c, shape.seed);
            Rng rnd = new Rng(shape.seed + 1);
            model.profileMatMul(true);
            double total = 0, matmul = 0;
            for (int it = 0; it <= shape.iters; it++) {
                TrainBatch b = maskedBatch(rnd, c, B, T);
                long t0 = System.nanoTime();
                float[] logits = model.logits(b.ids(), B, T, null, null);
                double s = (System.nanoTime() - t0) / 1e9, mm = model.takeMatMulNanos() / 1e9;
                if (logits.length != (long) n * c.embeddingSize()) throw new IllegalStateException("unexpected logits size");
                if (it == 0) {
                    out.printf(Locale.ROOT, "warm-up: %.1f ms%n", s * 1e3);
                    continue;
                }
                total += s;
                matmul += mm;
                out.printf(Locale.ROOT, "iter %d: %.1f ms (matrix products %.1f ms)%n", it, s * 1e3, mm * 1e3);
            }
            double perIter = total / shape.iters, flops = ModelFlops.forward(c, B, T, n);
            out.printf(Locale.ROOT, "mean forward: %.1f ms; time in matrix products %.1f%%, outside them %.1f%%%n",
                    perIter * 1e3, 100 * matmul / total, 100 * (1 - matmul / total));
            out.printf(Locale.ROOT, "model: %.2f GFLOP per forward, %.2f GFLOPS achieved%n", flops / 1e9, flops / perIter / 1e9);
            ModelFlops.matMulReport(out, c, n, n, false);
            out.printf(Locale.ROOT, "forward tokens/s: %.1f%n", n / perIter);
            return 0;
        }
    }

    /** Random clean tokens corrupted by the LLaDA pretraining objective (no truncated batches, so the shape is fixed). */
    static TrainBatch maskedBatch(Rng rng, ModelConfig c, int B, int T) {
        int[] ids = new int[B * T];
        for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(c.vocabSize());
        return new DiffusionObjective(c.maskTokenId(), DiffusionObjective.DEFAULT_EPS, 0, false).corrupt(CleanBatch.of(ids, B, T), rng);
    }
}
