package org.unmask.serve;

import java.util.List;

/**
 * One generation as the engine sees it: prompt ids (chat messages already templated), the LLaDA reverse-process
 * settings, and stop strings. {@code threshold} ≤ 0 means no Fast-dLLM threshold decoding.
 */
public record GenerationRequest(int[] promptIds, int genLength, int steps, int blockLength, Remasking remasking,
                                double temperature, double cfgScale, double threshold, long seed,
                                List<String> stop) {

    public GenerationRequest {
        if (promptIds == null) throw new IllegalArgumentException("promptIds is null");
        if (genLength <= 0) throw new IllegalArgumentException("genLength must be positive: " + genLength);
        if (steps <= 0) throw new IllegalArgumentException("steps must be positive: " + steps);
        if (blockLength <= 0 || genLength % blockLength != 0)
            throw new IllegalArgumentException("blockLength " + blockLength + " does not divide genLength " + genLength);
        if (steps % (genLength / blockLength) != 0)
            throw new IllegalArgumentException("steps " + steps + " not divisible by the " + genLength / blockLength + " blocks");
        if (remasking == null) throw new IllegalArgumentException("remasking is null");
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    /** Number of semi-autoregressive blocks. */
    public int blocks() { return genLength / blockLength; }

    /** Requests with equal shapes can run as one batched generation (same canvas width and step schedule). */
    public Shape shape() { return new Shape(genLength, steps, blockLength); }

    /** The part of a request that must match for batching. */
    public record Shape(int genLength, int steps, int blockLength) {}
}
