package org.unmask.model.io;

import org.unmask.model.tensor.Weights;

/**
 * Elements of a tensor to be written, produced on demand so that a checkpoint never has to exist in memory as a
 * whole. Implementations must be safe to call from several threads for disjoint ranges.
 */
public interface TensorSource {

    /** Number of elements. */
    long size();

    /** Writes elements {@code [offset, offset+n)} as float32 into {@code dst[dstOffset..]}. */
    void read(long offset, float[] dst, int dstOffset, int n);

    /** A source reading from existing weights (heap or mapped). */
    static TensorSource of(Weights w) {
        return new TensorSource() {
            public long size() { return w.size(); }
            public void read(long offset, float[] dst, int dstOffset, int n) { w.toFloat(offset, dst, dstOffset, n); }
        };
    }

    /** A source of {@code size} copies of {@code value}. */
    static TensorSource constant(long size, float value) {
        return new TensorSource() {
            public long size() { return size; }
            public void read(long offset, float[] dst, int dstOffset, int n) {
                java.util.Arrays.fill(dst, dstOffset, dstOffset + n, value);
            }
        };
    }
}
