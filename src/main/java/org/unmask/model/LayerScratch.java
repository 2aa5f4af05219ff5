package org.unmask.model;

import org.unmask.model.kernels.MatMul;
import org.unmask.model.tensor.Weights;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Working memory of one layer's feed-forward in one pass, and the matrix product it should use (timed while the model
 * is profiling). Buffers are numbered slots that grow on demand and are kept between calls.
 */
public final class LayerScratch {

    /** The model's matrix-product stopwatch, shared by its passes. */
    static final class Clock {
        volatile boolean on;
        final AtomicLong nanos = new AtomicLong();
    }

    private float[][] slots = new float[4][];
    private final Clock clock;

    LayerScratch(Clock clock) { this.clock = clock; }

    /** A buffer of at least {@code size} floats in {@code slot} (contents are whatever the last user left). */
    public float[] buffer(int slot, int size) {
        if (slot >= slots.length) slots = java.util.Arrays.copyOf(slots, slot + 1);
        float[] b = slots[slot];
        if (b == null || b.length < size) slots[slot] = b = new float[size];
        return b;
    }

    /** {@code y[rows, out] = x[rows, in] · Wᵀ}. */
    public void linear(float[] y, float[] x, Weights w, int rows, int in, int out) {
        boolean timed = clock.on;
        long t0 = timed ? System.nanoTime() : 0;
        MatMul.forward(y, 0, x, 0, w, 0, rows, in, out);
        if (timed) clock.nanos.addAndGet(System.nanoTime() - t0);
    }
}
