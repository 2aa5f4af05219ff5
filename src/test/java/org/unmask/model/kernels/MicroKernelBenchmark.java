package org.unmask.model.kernels;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.unmask.model.kernels.MicroKernels.L;

/**
 * JMH timing of the axpy register tiles alone, on operands that stay in L1 (not run by the test suite): the
 * ceiling the blocking around them can reach on one core. Each call sums {@value #JC} rank-1 updates, so
 * GFLOPS = 2 · rows · vectors · L · 128 / (ns per op), with L the float lanes (16 on AVX-512, 8 on AVX2). Run as
 * {@link org.unmask.bench.MatMulBenchmark} says, with {@code org.unmask.model.kernels.MicroKernelBenchmark}, and
 * {@code -XX:UseAVX=2} for the AVX2 path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MicroKernelBenchmark {
    static final int JC = 128;

    float[] a, b, c;

    @Setup
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(1);
        a = random(rnd, 6 * JC);
        b = random(rnd, JC * MicroKernels.PANEL_VECTORS * L);
        c = new float[6 * 4 * L];
    }

    /** The AVX-512 tile: 6 rows × 4 vectors. */
    @Benchmark
    public float[] axpy6x4() {
        MicroKernels.axpy6x4(a, 0, JC, 1, b, 0, 4 * L, JC, c, 0, 4 * L);
        return c;
    }

    /** The AVX2 tile of the backward products and the training-size forward: 2 rows × 6 vectors, A packed. */
    @Benchmark
    public float[] axpy2x6() {
        MicroKernels.axpy2x6(a, 0, b, JC, c, 0, MicroKernels.PANEL_VECTORS * L);
        return c;
    }

    /** The AVX2 tile of the weight-row forward: 6 rows × 2 vectors. */
    @Benchmark
    public float[] axpy6x2() {
        MicroKernels.axpy6x2(a, 0, JC, 1, b, 0, 2 * L, JC, c, 0, 2 * L);
        return c;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1) * 1e-3f;
        return x;
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(MicroKernelBenchmark.class.getSimpleName()).build()).run();
    }
}
