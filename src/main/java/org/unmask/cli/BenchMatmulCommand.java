package org.unmask.cli;

import org.unmask.model.kernels.GemmBenchmark;
import org.unmask.compute.Parallel;
import org.unmask.model.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code unmask bench matmul}: GFLOPS of the engine's matrix products at one shape. */
@Command(name = "matmul", mixinStandardHelpOptions = true,
        description = "Time out[T,N] = x[T,K]·W[N,K]^T (or a backward product) and print GFLOPS per run.")
public final class BenchMatmulCommand implements Callable<Integer> {

    @Option(names = "--m", defaultValue = "1024", description = "Token rows T (default: ${DEFAULT-VALUE}).")
    int m;

    @Option(names = "--k", defaultValue = "1024", description = "Summed dimension K (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--n", defaultValue = "1024", description = "Weight rows N (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--iters", defaultValue = "10", description = "Timed runs (default: ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--dtype", defaultValue = "f32", converter = Converters.WeightType.class, paramLabel = "TYPE",
            description = "Weight format of the forward product: f32, bf16, f16 or a block format --quantize takes (default: f32).")
    DType type;

    @Option(names = "--mode", defaultValue = "forward", converter = Converters.GemmMode.class,
            paramLabel = "forward|backward-input|backward-weight", description = "Which product to time (default: forward).")
    GemmBenchmark.Mode md;

    @Option(names = "--clock", defaultValue = "wall", paramLabel = "wall|cpu",
            description = "Time runs by elapsed time (wall) or by the CPU time of the one worker thread (cpu, needs --threads 1;"
                    + " steadier on a shared machine). Default: ${DEFAULT-VALUE}.")
    String clock;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        GemmBenchmark.Clock clk;
        try {
            clk = GemmBenchmark.Clock.parse(clock);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Invalid value for option '--clock': " + e.getMessage());
        }
        out.printf(Locale.ROOT, "matmul %s %s T=%d K=%d N=%d threads=%d%s%n",
                md.spelling(), type.name().toLowerCase(Locale.ROOT), m, k, n, Parallel.threads(),
                clk == GemmBenchmark.Clock.CPU ? " clock=cpu" : "");
        int[] run = {0};
        GemmBenchmark.Result r = GemmBenchmark.run(md, type, m, k, n, iters, clk,
                g -> {
                    out.printf(Locale.ROOT, "run %d: %.1f GFLOPS%n", ++run[0], g);
                    out.flush();
                });
        out.printf(Locale.ROOT, "median %.1f GFLOPS, best %.1f GFLOPS%n", r.median(), r.best());
        if (md == GemmBenchmark.Mode.FORWARD) {
            // each product reads the N·K weights once: the figure to hold against the memory bandwidth when T is small
            double perWeight = (double) type.blockBytes / type.blockSize;   // 1.0625 for Q8_0, 0.5625 for Q4_0
            out.printf(Locale.ROOT, "weights streamed: %.1f GB/s in the best run (%s bytes per weight, 2·T = %d flops each)%n",
                    r.best() * perWeight / (2.0 * m), java.math.BigDecimal.valueOf(perWeight).stripTrailingZeros().toPlainString(), 2 * m);
        }
        out.printf(Locale.ROOT, "matmul GFLOPS: %.1f%n", r.best());
        if (md == GemmBenchmark.Mode.FORWARD && m < 4) {
            // the weights streamed per product: what bounds a matrix-vector product (T = 1)
            double bytes = type.byteSize((long) n * k);
            out.printf(Locale.ROOT, "weights %.1f MB, streamed at best %.1f GB/s%n", bytes / 1e6,
                    bytes * r.best() / (2.0 * m * k * n));
        }
        out.flush();
        return 0;
    }
}
