package org.unmask.cli;

import org.unmask.diffusion.CacheMode;
import org.unmask.diffusion.EditingConfig;
import org.unmask.diffusion.Remasking;
import org.unmask.diffusion.RemdmConfig;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.Setting;
import org.unmask.model.GenerationDefaults;
import picocli.CommandLine.Option;

/**
 * The sampling settings of {@code generate}, {@code infill} and {@code chat} (a picocli mixin): one flag per
 * {@link Setting}, spelled {@link Setting#flag()}. The generation length and the special ids come from each command.
 */
final class SamplingOptions {

    @Option(names = "--steps", description = "Denoising steps, split evenly over the blocks (default: one per generated token); with --block-causal, steps per block, capped at --gen-length.")
    Integer steps;

    @Option(names = "--block-length", description = "Semi-autoregressive block length (default: the model's own from generation_config.json, or the longest shorter length that divides --gen-length and splits --steps evenly; else the whole generation; chat: 32 when it divides --gen-length).")
    Integer blockLength;

    @Option(names = "--remasking", converter = Converters.RemaskingRule.class,
            description = "low_confidence, random, or a Dream algorithm: origin, maskgit_plus, topk_margin, entropy"
                    + " (default: the model family's, low_confidence for LLaDA, entropy for Dream).")
    Remasking remasking;

    @Option(names = "--temperature", description = "0 = argmax; > 0 = Gumbel-max / categorical sampling (default: the family's, 0 for LLaDA, 0.2 for Dream).")
    Double temperature;

    @Option(names = "--cfg-scale", defaultValue = "0", description = "Classifier-free guidance weight w (0 = off).")
    double cfgScale;

    @Option(names = "--threshold", description = "Fast-dLLM parallel decoding: commit every masked position of the block with confidence >= X (at least one per step); with --block-causal, LLaDA 2.x's: every mask above X when there are at least the step's count of them; 0 = off.")
    Double threshold;

    @Option(names = "--factor", description = "Fast-dLLM factor rule: commit the largest n with (n+1)(1-c_n) < F; 0 = off.")
    Double factor;

    @Option(names = "--top-p", description = "Dream algorithms: nucleus filter (1 = off; default: the family's, 0.95 for Dream, else off).")
    Double topP;

    @Option(names = "--top-k", description = "Dream algorithms: top-k filter (0 = off, the default).")
    Integer topK;

    @Option(names = "--alg-temp", description = "Dream algorithms: sample positions from softmax(confidence/T) (0 = top-n, the default).")
    Double algTemp;

    @Option(names = "--eps", description = "Dream algorithms: final timestep of linspace(1, eps, steps+1) (default: 0.001).")
    Float eps;

    @Option(names = "--logits-eos-inf", description = "Never generate EOS (its logit is set to -inf).")
    boolean logitsEosInf;

    @Option(names = "--confidence-eos-eot-inf", description = "EOS/EoT predictions get confidence 0 (committed only when the quota forces it).")
    boolean confidenceEosEotInf;

    @Option(names = "--reference-eos-quirk", description = "With --confidence-eos-eot-inf and T > 0, zero only EoT's confidence, as LLaDA's generate.py does.")
    boolean referenceEosQuirk;

    @Option(names = "--early-stop", description = "Stop spending forward passes on a row once everything after a committed EOS is settled (filled with EOS).")
    boolean earlyStop;

    @Option(names = "--remdm", converter = Converters.RemdmSchedule.class, paramLabel = "cap|rescale|conf", description = "ReMDM re-masking schedule: cap, rescale or conf (default: off).")
    RemdmConfig.Schedule remdm;

    @Option(names = "--remdm-eta", description = "ReMDM eta (default: 0.02).")
    Double remdmEta;

    @Option(names = "--remdm-window", description = "Fraction of each block's last steps in which ReMDM re-masks (default: 1).")
    Double remdmWindow;

    @Option(names = "--remdm-loop", description = "ReMDM loop variant: reveal each block before the window, then re-mask and re-predict inside it.")
    boolean remdmLoop;

    @Option(names = "--block-causal", arity = "0..1", fallbackValue = "true", paramLabel = "true|false", description = "LLaDA 2.x generation: blocks aligned at each prompt's position 0, block-causal attention, --steps per block, and per step every mask above --threshold if there are enough, else the block-length/steps most confident.")
    Boolean blockCausal;

    @Option(names = "--editing-threshold", description = "LLaDA 2.1 token editing (with --block-causal): replace a revealed token of the block when the model predicts another one with confidence above X; 0 = off.")
    Double editingThreshold;

    @Option(names = "--max-post-steps", description = "With --editing-threshold: passes after a block's masks are gone, ending at the first that changes nothing (default: 16).")
    Integer maxPostSteps;

    @Option(names = "--cache", converter = Converters.Cache.class, paramLabel = "none|prefix|dual|delayed",
            description = "Keys and values kept between steps: prefix or dual (Fast-dLLM; each block starts with a full forward, its steps run the block, plus the positions after it for prefix), delayed (dual, but a step runs only the block's masked positions and those committed in the previous step), exact for --block-causal models; default: dual when decoding more than one block or block-causally, else none.")
    CacheMode cache;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random streams (row j of a batch uses seed + j).")
    long seed;

    /**
     * The settings for {@code genLength} new masks, unbuilt so that a command can add its special ids (and chat a
     * seed per turn); {@code defaultSteps}/{@code defaultBlock} apply when the flags are absent, and the model
     * family's {@code defaults} for every sampling flag that is absent.
     */
    SamplerConfig.Builder builder(GenerationDefaults defaults, int genLength, int defaultSteps, int defaultBlock) {
        SamplerConfig.Builder b = SamplerConfig.builder().genLength(genLength).fallbackShape(defaultSteps, defaultBlock)
                .defaults(defaults).cfgScale(cfgScale)
                .logitsEosInf(logitsEosInf).confidenceEosEotInf(confidenceEosEotInf).referenceEosQuirk(referenceEosQuirk)
                .earlyStop(earlyStop).remdm(RemdmConfig.of(remdm, remdmEta, remdmWindow, remdmLoop))
                .editing(EditingConfig.of(editingThreshold, maxPostSteps)).seed(seed);
        if (steps != null) b.steps(steps);
        if (blockLength != null) b.blockLength(blockLength);
        if (blockCausal != null) b.blockCausal(blockCausal);
        if (remasking != null) b.remasking(remasking);
        if (temperature != null) b.temperature(temperature);
        if (topP != null) b.topP(topP);
        if (topK != null) b.topK(topK);
        if (algTemp != null) b.algTemp(algTemp);
        if (eps != null) b.eps(eps);
        if (threshold != null) b.threshold(threshold);
        if (factor != null) b.factor(factor);
        if (cache != null) b.cache(cache);
        return b;
    }

    /** The built settings with the model's special ids and its family's defaults. */
    SamplerConfig config(GenerationDefaults defaults, int genLength, int defaultSteps, int defaultBlock, int maskId,
                         int eosId, int eotId) {
        return builder(defaults, genLength, defaultSteps, defaultBlock).specialIds(maskId, eosId, eotId).build();
    }

}
