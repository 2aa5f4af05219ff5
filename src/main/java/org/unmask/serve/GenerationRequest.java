package org.unmask.serve;

import org.unmask.diffusion.SamplerConfig;

import java.util.List;

/**
 * One generation as the engine sees it: prompt ids (chat messages already templated), the sampling settings (one
 * {@link SamplerConfig}, already validated), and the stop strings the answer is cut at.
 */
public record GenerationRequest(int[] promptIds, SamplerConfig config, List<String> stop) {

    /** Checks that the request generates something; the settings validated themselves. */
    public GenerationRequest {
        if (promptIds == null) throw new IllegalArgumentException("promptIds is null");
        if (config == null) throw new IllegalArgumentException("config is null");
        if (config.genLength() <= 0)
            throw new IllegalArgumentException("a generation needs a positive gen length, got " + config.genLength());
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    /** Whether the seed decides nothing (see {@link SamplerConfig#deterministic()}). */
    public boolean deterministic() { return config.deterministic(); }

    /**
     * The batching rule: two requests may share one batched reverse process only when their settings are equal
     * apart from the seed and both are deterministic. The sampler seeds row j with seed + j, so a sampled request
     * in a batch would not draw what its own seed promises; a deterministic one gives the same tokens in any row.
     */
    public boolean batchesWith(GenerationRequest other) {
        return deterministic() && other.deterministic() && config.equals(other.config.toBuilder().seed(config.seed()).build());
    }
}
