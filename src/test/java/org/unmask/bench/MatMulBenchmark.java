package org.unmask.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.unmask.model.kernels.MatMul;
import org.unmask.model.tensor.Weights;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * JMH timing of the float32 1024³ products (not run by the test suite). GFLOPS = 2·1024³ / (ms per op · 1e6) =
 * 2147.5 / ms. Run with:
 * <pre>
 * ./mvnw -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.cp
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:$(cat target/test.cp) \
 *      org.unmask.bench.MatMulBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatMulBenchmark {
    @Param({"1024"})
    int size;

    float[] x, w, dy, out, dx, dw;
    Weights weights;

    @Setup
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(1);
        int n = size * size;
        x = random(rnd, n); w = random(rnd, n); dy = random(rnd, n);
        out = new float[n]; dx = new float[n]; dw = new float[n];
        weights = new Weights.F32(w, 0, n);
    }

    @Benchmark
    public float[] forward() {
        MatMul.forward(out, 0, x, 0, weights, 0, size, size, size);
        return out;
    }

    @Benchmark
    public float[] backwardInput() {
        MatMul.backwardInput(dx, 0, dy, 0, w, 0, size, size, size);
        return dx;
    }

    @Benchmark
    public float[] backwardWeight() {
        MatMul.backwardWeight(dw, 0, dy, 0, x, 0, size, size, size);
        return dw;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(MatMulBenchmark.class.getSimpleName()).build()).run();
    }
}
