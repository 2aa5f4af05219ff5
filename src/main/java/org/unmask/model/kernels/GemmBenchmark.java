package org.unmask.model.kernels;

import org.unmask.compute.Parallel;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.DoubleConsumer;

/** Times {@link MatMul} products on random data and reports achieved GFLOPS (2·T·K·N flops per product). */
public final class GemmBenchmark {
    private GemmBenchmark() {}

    /** Which of the three products to time. */
    public enum Mode {
        FORWARD, BACKWARD_INPUT, BACKWARD_WEIGHT;

        /** Parses the command-line spelling ({@code forward}, {@code backward-input}, {@code backward-weight}). */
        public static Mode parse(String s) {
            for (Mode m : values()) if (m.spelling().equals(s)) return m;
            throw new IllegalArgumentException("unknown mode '" + s + "' (expected forward, backward-input or backward-weight)");
        }

        /** The command-line spelling. */
        public String spelling() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }
    }

    /** What a run's duration is measured with. */
    public enum Clock {
        /** Elapsed time: what a user waits for, including time the machine gave to other jobs. */
        WALL,
        /**
         * CPU time of the calling thread (so one worker thread only): what the kernel needs when it has a core,
         * much steadier than elapsed time on a machine shared with other jobs.
         */
        CPU;

        /** Parses {@code wall} or {@code cpu}. */
        public static Clock parse(String s) {
            for (Clock c : values()) if (c.name().toLowerCase(Locale.ROOT).equals(s)) return c;
            throw new IllegalArgumentException("unknown clock '" + s + "' (expected wall or cpu)");
        }
    }

    /** Per-run GFLOPS of one benchmark. */
    public record Result(double[] runs) {
        /** The fastest run (least disturbed by other processes). */
        public double best() { return Arrays.stream(runs).max().orElse(0); }
        /** The median run. */
        public double median() {
            double[] s = runs.clone();
            Arrays.sort(s);
            return s.length == 0 ? 0 : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }
    }

    /** GFLOPS of one {@code [T,K]×[K,N]} product that took {@code nanos}. */
    public static double gflops(long T, long K, long N, long nanos) {
        return 2.0 * T * K * N / Math.max(1, nanos);
    }

    /** Duration of the untimed warm-up. */
    private static final long WARM_UP_NANOS = 1_500_000_000L;

    /** Minimum duration of one timed run; short products are repeated until they fill it. */
    private static final long MIN_RUN_NANOS = 50_000_000L;

    /**
     * Runs {@code iters} timed runs of {@code mode} at shape T×K×N after a JIT warm-up, passing each run's GFLOPS to
     * {@code onRun}. {@code dtype} is the weight format of the forward product (the backward ones use float32).
     */
    public static Result run(Mode mode, DType dtype, int T, int K, int N, int iters, DoubleConsumer onRun) {
        return run(mode, dtype, T, K, N, iters, Clock.WALL, onRun);
    }

    /** {@link #run(Mode, DType, int, int, int, int, DoubleConsumer)} timed with {@code clock}. */
    public static Result run(Mode mode, DType dtype, int T, int K, int N, int iters, Clock clock, DoubleConsumer onRun) {
        if (clock == Clock.CPU && Parallel.threads() != 1)
            throw new IllegalArgumentException("--clock cpu times the calling thread only, so it needs --threads 1 (now "
                    + Parallel.threads() + ")");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        java.util.function.LongSupplier now = clock == Clock.CPU ? mx::getCurrentThreadCpuTime : System::nanoTime;
        if (T < 1 || K < 1 || N < 1) throw new IllegalArgumentException("sizes must be positive: T=" + T + ", K=" + K + ", N=" + N);
        if (iters < 1) throw new IllegalArgumentException("--iters must be at least 1, got " + iters);
        if (mode != Mode.FORWARD && dtype != DType.F32)
            throw new IllegalArgumentException("--dtype " + dtype + " applies to forward only (backward weights are float32)");
        if ((long) T * K > Integer.MAX_VALUE || (long) T * N > Integer.MAX_VALUE || (long) N * K > Integer.MAX_VALUE)
            throw new IllegalArgumentException("matrices must have fewer than 2^31 elements");
        if (dtype.blocked() && K % dtype.blockSize != 0)
            throw new IllegalArgumentException("--k must be a multiple of " + dtype.blockSize + " for " + dtype
                    + " (its rows are whole blocks), got " + K);
        SplittableRandom rnd = new SplittableRandom(1);
        float[] x = random(rnd, T * K);
        float[] dy = random(rnd, T * N);
        try (Arena arena = Arena.ofShared()) {
            Weights w = weights(arena, dtype, random(rnd, N * K));
            float[] wf = new float[N * K];
            w.toFloat(0, wf, 0, N * K);
            Runnable product = switch (mode) {
                case FORWARD -> { float[] out = new float[T * N]; yield () -> MatMul.forward(out, 0, x, 0, w, 0, T, K, N); }
                case BACKWARD_INPUT -> { float[] dx = new float[T * K]; yield () -> MatMul.backwardInput(dx, 0, dy, 0, wf, 0, T, N, K); }
                case BACKWARD_WEIGHT -> { float[] dw = new float[N * K]; yield () -> MatMul.backwardWeight(dw, 0, dy, 0, x, 0, T, N, K); }
            };
            long warm = now.getAsLong();
            // until the vector code is compiled: before C2 has compiled a tile loop, its Vector API calls run as Java
            // fallbacks tens of times slower, and 0.5 s was not always enough for that on a busy machine
            for (int i = 0; i < 3 || now.getAsLong() - warm < WARM_UP_NANOS; i++) product.run();
            double[] runs = new double[iters];
            for (int it = 0; it < iters; it++) {
                long start = now.getAsLong(), elapsed;
                int reps = 0;
                do { product.run(); reps++; } while ((elapsed = now.getAsLong() - start) < MIN_RUN_NANOS);
                runs[it] = reps * gflops(T, K, N, elapsed);
                onRun.accept(runs[it]);
            }
            return new Result(runs);
        }
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /**
     * {@code values} stored in {@code dtype}: float32 on the heap, half and block formats in an off-heap segment like a
     * mapped file.
     */
    private static Weights weights(Arena arena, DType dtype, float[] values) {
        return switch (dtype) {
            case F32 -> new Weights.F32(values, 0, values.length);
            case BF16, F16 -> {
                MemorySegment seg = arena.allocate(2L * values.length, 64);
                for (int i = 0; i < values.length; i++) {
                    short bits = dtype == DType.BF16
                            ? (short) (Float.floatToRawIntBits(values[i]) >>> 16)
                            : Float.floatToFloat16(values[i]);
                    seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), i, bits);
                }
                yield Weights.mapped(seg, dtype);
            }
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> {
                MemorySegment seg = arena.allocate(dtype.byteSize(values.length), 64);
                org.unmask.model.tensor.Quantizer.quantize(dtype, values, 0, values.length, seg, 0);
                yield Weights.mapped(seg, dtype);
            }
            default -> throw new IllegalArgumentException("--dtype must be f32, bf16, f16 or a block format Unmask writes, got " + dtype);
        };
    }
}
