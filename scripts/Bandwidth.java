import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Memory read bandwidth of this machine, the ceiling of the matrix-vector products (which stream each weight once):
 * THREADS threads each sum their own 256 MB float array, far larger than any cache; best of 10 passes.
 * Run: java --add-modules jdk.incubator.vector scripts/Bandwidth.java [THREADS]
 */
public class Bandwidth {
    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        int n = 64 << 20;   // floats per thread: 256 MB
        float[][] data = new float[threads][n];
        for (float[] d : data) java.util.Arrays.fill(d, 1f);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        double best = 0;
        for (int pass = 0; pass < 10; pass++) {
            long t0 = System.nanoTime();
            Future<?>[] fs = new Future<?>[threads];
            for (int t = 0; t < threads; t++) {
                float[] d = data[t];
                fs[t] = pool.submit(() -> sum(d));
            }
            for (Future<?> f : fs) f.get();
            double gbs = (double) threads * n * 4 / (System.nanoTime() - t0);
            best = Math.max(best, gbs);
            System.out.printf(Locale.ROOT, "pass %d: %.1f GB/s%n", pass + 1, gbs);
        }
        pool.shutdown();
        System.out.printf(Locale.ROOT, "read bandwidth (%d threads): %.1f GB/s%n", threads, best);
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Four vector sums so the loop is bound by loads, not by the add latency. */
    private static float sum(float[] d) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int L = F.length();
        for (int i = 0; i + 4 * L <= d.length; i += 4 * L) {
            s0 = s0.add(FloatVector.fromArray(F, d, i));
            s1 = s1.add(FloatVector.fromArray(F, d, i + L));
            s2 = s2.add(FloatVector.fromArray(F, d, i + 2 * L));
            s3 = s3.add(FloatVector.fromArray(F, d, i + 3 * L));
        }
        return s0.add(s1).add(s2).add(s3).lane(0);
    }
}
