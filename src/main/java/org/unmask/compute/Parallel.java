package org.unmask.compute;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/** The engine's worker threads; {@code --threads N} sets their number once at start-up. */
public final class Parallel {
    private static volatile int threads = Runtime.getRuntime().availableProcessors();
    private static volatile ForkJoinPool pool = new ForkJoinPool(threads);

    private Parallel() {}

    /** Number of worker threads. */
    public static int threads() { return threads; }

    /** Replaces the pool with one of {@code n} threads. */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + n);
        if (n == threads) return;
        ForkJoinPool old = pool;
        pool = new ForkJoinPool(n);
        threads = n;
        old.shutdown();
    }

    /** A body over a half-open range of indices. */
    @FunctionalInterface
    public interface RangeBody { void run(int from, int to); }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@code threads()*chunksPerThread} contiguous chunks;
     * inline when there is one thread or little work.
     */
    public static void forRange(int n, int minChunk, RangeBody body) {
        forRange(n, minChunk, 4, body);
    }

    /**
     * {@link #forRange(int, int, RangeBody)} with at most {@code chunksPerThread} chunks per thread: more chunks
     * balance the load when a worker is slowed, fewer suit a body that pays a set-up cost per chunk (packing).
     */
    public static void forRange(int n, int minChunk, int chunksPerThread, RangeBody body) {
        int t = threads;
        if (t == 1 || n <= minChunk) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(t * chunksPerThread, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks <= 1) { body.run(0, n); return; }
        int[] bounds = new int[chunks + 1];
        for (int c = 0; c <= chunks; c++) bounds[c] = (int) ((long) n * c / chunks);
        if (Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == pool) {
            // already inside a task: run nested work in this pool without re-submitting
            new Chunks(bounds, 0, chunks, body).invoke();
        } else {
            pool.invoke(new Chunks(bounds, 0, chunks, body));
        }
    }

    private static final class Chunks extends RecursiveAction {
        private final int[] bounds; private final int lo, hi; private final RangeBody body;
        Chunks(int[] bounds, int lo, int hi, RangeBody body) { this.bounds = bounds; this.lo = lo; this.hi = hi; this.body = body; }
        @Override protected void compute() {
            if (hi - lo == 1) { body.run(bounds[lo], bounds[hi]); return; }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunks(bounds, lo, mid, body), new Chunks(bounds, mid, hi, body));
        }
    }
}
