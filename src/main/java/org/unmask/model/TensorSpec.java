package org.unmask.model;

/** One tensor a model expects: its shape ([out, in] for matrices) and how a random model initialises it. */
public record TensorSpec(long[] shape, Init init) {

    /** Initial values of a random model. */
    public enum Init { GAUSSIAN, ONES, ZEROS }

    /** Number of elements. */
    public long size() {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }
}
