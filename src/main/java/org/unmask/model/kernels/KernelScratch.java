package org.unmask.model.kernels;

/**
 * Each thread's reusable float buffers for the innermost loops of the products (packed strips, panels, transposed
 * results). Allocating them per call cost more than the work in the small products of training (attention's four
 * products per head, a few hundred KB of zeroed memory each, and the young collections and page faults that came with
 * them). A buffer is handed out with stale contents, and only to a loop that calls no {@link
 * org.unmask.compute.Parallel} work while it holds it, so a thread never holds the same slot twice.
 */
final class KernelScratch {
    private KernelScratch() {}

    /** What a buffer is for; each use has its own, so that one leaf loop can hold several at once. */
    enum Slot { AXPY_STRIP, AXPY_ROW, AXPY_PANEL, TOKEN_STRIPS, ROW_RESULTS, WEIGHT_PANEL, DOT_TILE, DECODED_ROW }

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[Slot.values().length][]);

    /** The calling thread's buffer for {@code slot}, at least {@code n} floats long; its contents are stale. */
    static float[] get(Slot slot, int n) {
        float[][] buffers = BUFFERS.get();
        float[] b = buffers[slot.ordinal()];
        if (b == null || b.length < n) {
            b = new float[n];
            buffers[slot.ordinal()] = b;
        }
        return b;
    }
}
