package org.unmask.diffusion;

import org.unmask.compute.Parallel;
import org.unmask.model.Denoiser;

import java.util.List;

/**
 * The reverse (unmasking) process of a masked diffusion LM, following LLaDA's {@code generate}: the canvas is the
 * prompt followed by {@code genLength} masks, decoded in semi-autoregressive blocks; each step runs the model once
 * (twice the rows with guidance), predicts every masked position before the end of the current block, and commits
 * some of them. Which ones is decided by a {@link CommitRule} per family: the block's quota (LLaDA, with ReMDM
 * re-masking), Dream's timestep schedule, Fast-dLLM's confidence threshold / factor rule, or LLaDA 2.x's
 * threshold-or-top-k rule with 2.1's token editing (on a block-aligned canvas under block-causal attention, see
 * {@link CanvasLayout}). Prompts of different
 * lengths are left-padded into one batch with a key-padding mask; every row gives the same result as it would alone
 * (row j draws from the random stream seeded seed + j). Only the logit rows of candidate positions are requested
 * from the model (masked-only LM head), and their vocabulary passes run on the {@link Parallel} pool.
 */
public final class Sampler {
    private final StepModelFactory models;
    private final SamplerConfig cfg;
    private final int vocab;

    /** A sampler for {@code model} with settings {@code cfg}. */
    public Sampler(Denoiser model, SamplerConfig cfg) { this(CachedStepModel.factory(model, cfg.cache()), cfg); }

    /** A sampler whose runs each use a fresh step model from {@code models} (e.g. one with a KV cache). */
    public Sampler(StepModelFactory models, SamplerConfig cfg) {
        this.models = models;
        this.cfg = cfg;
        this.vocab = models.config().embeddingSize();
        check(cfg.maskId() < vocab, "mask id " + cfg.maskId() + " is outside the vocabulary (" + vocab + ")");
        check(cfg.eosId() < vocab, "EOS id " + cfg.eosId() + " is outside the vocabulary (" + vocab + ")");
        check(cfg.eotId() < vocab, "EoT id " + cfg.eotId() + " is outside the vocabulary (" + vocab + ")");
        int size = models.config().blockSize();
        if (size > 0 && !(cfg.blockCausal() && cfg.blockLength() == size))
            throw new InvalidSettingException(cfg.blockCausal() ? Setting.BLOCK_LENGTH : Setting.BLOCK_CAUSAL,
                    "this block-diffusion model (block_size " + size + ") generates block-causally in its own blocks: "
                            + "{block_length} must be " + size + " and {block_causal} on (the model's defaults)");
    }

    /** The settings. */
    public SamplerConfig config() { return cfg; }

    /** Generates from one prompt. */
    public SampleResult generate(int[] prompt) { return generate(List.of(prompt), null); }

    /** Generates from a batch of prompts (left-padded), reporting each step to {@code listener} (nullable). */
    public SampleResult generate(List<int[]> prompts, StepListener listener) {
        check(!prompts.isEmpty(), "no prompts given");
        RunState state = new RunState(prompts, cfg, models.config());
        StepModel model = models.newRun();
        if (cfg.cfgScale() != 0)
            model = new GuidedStepModel(model, cfg.cfgScale(), state.promptEnds(), cfg.maskId());
        return new ReverseProcess(cfg, vocab, state, model, listener).run();
    }

    static void check(boolean ok, String msg) {
        if (!ok) throw new IllegalArgumentException(msg);
    }
}
