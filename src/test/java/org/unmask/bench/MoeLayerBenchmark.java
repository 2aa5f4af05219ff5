package org.unmask.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.unmask.model.moe.ExpertWeights;
import org.unmask.model.moe.MoeFeedForward;
import org.unmask.model.moe.Routing;
import org.unmask.model.moe.SigmoidRouter;
import org.unmask.model.moe.SigmoidRouterConfig;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * JMH timing of one MoE feed-forward layer at LLaDA2.x-mini shapes (not run by the test suite): hidden 2048,
 * 256 routed experts of width 512, top-8 of 4 of 8 groups, 1 shared expert, random bf16 weights in off-heap
 * segments (1.6 GB, read in place as from a mapped checkpoint), {@code tokens} rows per call (default 32, one
 * LLaDA2 block). {@link #forward} is the whole layer (router product, routing, experts); {@link #experts} the
 * expert part for a fixed routing. Run with:
 * <pre>
 * ./mvnw -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.cp
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:$(cat target/test.cp) \
 *      org.unmask.bench.MoeLayerBenchmark [plain]
 * </pre>
 * {@code plain} skips JMH and times 40 whole-layer calls in this JVM (after 10 warm-up calls), printing the median and
 * best wall time and the process CPU time per call: on a shared machine the CPU time shows the work done, while wall
 * time mostly shows how much of the cores the other jobs left.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class MoeLayerBenchmark {
    static final int HIDDEN = 2048, WIDTH = 512;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Param({"32"})
    int tokens;

    Arena arena;
    MoeFeedForward moe;
    Routing routing;
    float[] x, out;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        SigmoidRouterConfig config = SigmoidRouterConfig.lladaMini();
        SplittableRandom rnd = new SplittableRandom(1);
        float[] bias = new float[config.experts()];
        for (int e = 0; e < bias.length; e++) bias[e] = (float) (rnd.nextGaussian() * 0.01);
        // experts filled in parallel, each from its own seed, so set-up takes seconds rather than a minute
        List<ExpertWeights> experts = new ArrayList<>(IntStream.range(0, config.experts()).parallel()
                .mapToObj(e -> expert(new SplittableRandom(100 + e))).toList());
        moe = new MoeFeedForward(bf16(rnd, (long) config.experts() * HIDDEN, 0.02), new SigmoidRouter(config, bias),
                experts, List.of(expert(new SplittableRandom(99))));
        x = new float[tokens * HIDDEN];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        out = new float[x.length];
        routing = moe.route(x, tokens);
        long distinct = IntStream.of(routing.experts()).distinct().count();
        System.out.printf("%n%d tokens × top-%d reach %d of %d experts%n", tokens, routing.topK(), distinct, config.experts());
    }

    @TearDown(Level.Trial)
    public void tearDown() { arena.close(); }

    private ExpertWeights expert(SplittableRandom rnd) {
        long n = (long) WIDTH * HIDDEN;
        return new ExpertWeights(bf16(rnd, n, 0.02), bf16(rnd, n, 0.02), bf16(rnd, n, 0.02), HIDDEN, WIDTH);
    }

    /** {@code n} bf16 values uniform in ±{@code scale} in a fresh off-heap segment. */
    private Weights bf16(SplittableRandom rnd, long n, double scale) {
        MemorySegment seg;
        synchronized (this) { seg = arena.allocate(2 * n, 64); }
        for (long i = 0; i < n; i++)
            seg.setAtIndex(I16, i, (short) (Float.floatToRawIntBits((float) ((rnd.nextDouble() * 2 - 1) * scale)) >>> 16));
        return Weights.mapped(seg, DType.BF16);
    }

    @Benchmark
    public float[] forward() {
        moe.forward(out, x, tokens);
        return out;
    }

    @Benchmark
    public float[] experts() {
        moe.forward(out, x, tokens, routing);
        return out;
    }

    public static void main(String[] args) throws RunnerException {
        if (args.length > 0 && args[0].equals("plain")) {
            plain();
            return;
        }
        new Runner(new OptionsBuilder().include(MoeLayerBenchmark.class.getSimpleName()).build()).run();
    }

    private static void plain() {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        MoeLayerBenchmark b = new MoeLayerBenchmark();
        b.tokens = 32;
        b.setUp();
        try {
            for (int i = 0; i < 10; i++) b.forward();
            int n = 40;
            double[] wall = new double[n], cpu = new double[n];
            for (int i = 0; i < n; i++) {
                long w0 = System.nanoTime(), c0 = os.getProcessCpuTime();
                b.forward();
                wall[i] = (System.nanoTime() - w0) / 1e6;
                cpu[i] = (os.getProcessCpuTime() - c0) / 1e6;
            }
            java.util.Arrays.sort(wall);
            java.util.Arrays.sort(cpu);
            System.out.printf("MoE layer, %d tokens: wall median %.1f ms, best %.1f ms; process CPU median %.1f ms, best %.1f ms%n",
                    b.tokens, wall[n / 2], wall[0], cpu[n / 2], cpu[0]);
        } finally {
            b.tearDown();
        }
    }
}
