package org.unmask.serve;

import org.unmask.diffusion.Remasking;
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

    /**
     * True when the seed decides nothing: argmax tokens (temperature 0) and no random choice of positions
     * (random remasking, Dream's origin, alg_temp) or of re-masks (ReMDM).
     */
    public boolean deterministic() {
        SamplerConfig c = config;
        return c.temperature() == 0 && c.remasking() != Remasking.RANDOM && c.remasking() != Remasking.ORIGIN
                && c.algTemp() == 0 && c.remdm() == null;
    }

    /**
     * The batching rule: two requests may share one batched reverse process only when their settings are equal
     * apart from the seed and both are deterministic. The sampler seeds row j with seed + j, so a sampled request
     * in a batch would not draw what its own seed promises; a deterministic one gives the same tokens in any row.
     */
    public boolean batchesWith(GenerationRequest other) {
        return deterministic() && other.deterministic() && config.equals(withSeed(other.config, config.seed()));
    }

    /** {@code c} with another seed (the config has no wither). */
    private static SamplerConfig withSeed(SamplerConfig c, long seed) {
        return new SamplerConfig(c.genLength(), c.steps(), c.blockLength(), c.remasking(), c.temperature(), c.cfgScale(),
                c.threshold(), c.factor(), c.topP(), c.topK(), c.algTemp(), c.eps(), c.logitsEosInf(),
                c.confidenceEosEotInf(), c.referenceEosQuirk(), c.earlyStop(), c.remdm(), seed, c.maskId(), c.eosId(),
                c.eotId());
    }
}
