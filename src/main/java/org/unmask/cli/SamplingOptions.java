package org.unmask.cli;

import org.unmask.diffusion.Remasking;
import org.unmask.diffusion.RemdmConfig;
import org.unmask.diffusion.SamplerConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The sampling options shared by {@code generate} and {@code infill}. */
final class SamplingOptions {
    @Option(names = "--steps", description = "Denoising steps, split evenly over the blocks (default: one per generated token).")
    Integer steps;

    @Option(names = "--block-length", description = "Semi-autoregressive block length (default: the whole generation).")
    Integer blockLength;

    @Option(names = "--remasking", defaultValue = "low_confidence",
            description = "low_confidence, random, or a Dream algorithm: origin, maskgit_plus, topk_margin, entropy (default: ${DEFAULT-VALUE}).")
    String remasking;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = argmax; > 0 = Gumbel-max / categorical sampling.")
    double temperature;

    @Option(names = "--cfg-scale", defaultValue = "0", description = "Classifier-free guidance weight w (0 = off).")
    double cfgScale;

    @Option(names = "--threshold", description = "Fast-dLLM parallel decoding: commit every masked position of the block with confidence >= X (at least one per step).")
    Double threshold;

    @Option(names = "--factor", description = "Fast-dLLM factor rule: commit the largest n with (n+1)(1-c_n) < F.")
    Double factor;

    @Option(names = "--top-p", defaultValue = "1", description = "Dream algorithms: nucleus filter (1 = off).")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "Dream algorithms: top-k filter (0 = off).")
    int topK;

    @Option(names = "--alg-temp", defaultValue = "0", description = "Dream algorithms: sample positions from softmax(confidence/T) (0 = top-n).")
    double algTemp;

    @Option(names = "--eps", defaultValue = "0.001", description = "Dream algorithms: final timestep of linspace(1, eps, steps+1).")
    float eps;

    @Option(names = "--logits-eos-inf", description = "Never generate EOS (its logit is set to -inf).")
    boolean logitsEosInf;

    @Option(names = "--confidence-eos-eot-inf", description = "EOS/EoT predictions get confidence 0 (committed only when the quota forces it).")
    boolean confidenceEosEotInf;

    @Option(names = "--reference-eos-quirk", description = "With --confidence-eos-eot-inf and T > 0, zero only EoT's confidence, as LLaDA's generate.py does.")
    boolean referenceEosQuirk;

    @Option(names = "--eot-id", description = "End-of-turn id (default: <|eot_id|> from the tokenizer, 126348 for LLaDA-8B, else none).")
    Integer eotId;

    @Option(names = "--early-stop", description = "Stop spending forward passes on a row once everything after a committed EOS is settled (filled with EOS).")
    boolean earlyStop;

    @Option(names = "--remdm", description = "ReMDM re-masking schedule: cap, rescale or conf (default: off).")
    String remdm;

    @Option(names = "--remdm-eta", defaultValue = "0.02", description = "ReMDM eta (default: ${DEFAULT-VALUE}).")
    double remdmEta;

    @Option(names = "--remdm-window", defaultValue = "1", description = "Fraction of each block's last steps in which ReMDM re-masks (default: ${DEFAULT-VALUE}).")
    double remdmWindow;

    @Option(names = "--remdm-loop", description = "ReMDM loop variant: reveal each block before the window, then re-mask and re-predict inside it.")
    boolean remdmLoop;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random streams (row j of a batch uses seed + j).")
    long seed;

    @Option(names = "--print-ids", description = "Print the whole canvas (prompt ids then generated ids) as the last line.")
    boolean printIds;

    @Option(names = "--trace", paramLabel = "FILE.json", description = "Write a JSON trace of every step.")
    Path trace;

    @Option(names = "--gif", paramLabel = "FILE.gif", description = "Write an animated GIF of the unmasking (first prompt).")
    Path gif;

    @Option(names = "--gif-delay-ms", defaultValue = "150", description = "Milliseconds per GIF frame (default: ${DEFAULT-VALUE}).")
    int gifDelayMs;

    @Option(names = "--animate", description = "Show the unmasking live in the terminal (plain step lines when not a terminal).")
    boolean animate;

    /** The sampler settings for a canvas with {@code genLength} new masks. */
    SamplerConfig config(int genLength, int defaultSteps, int defaultBlock, int maskId, int eosId, int eot) {
        SamplerConfig.Builder b = SamplerConfig.builder(genLength, steps == null ? defaultSteps : steps,
                        blockLength == null ? defaultBlock : blockLength)
                .remasking(Remasking.parse(remasking)).temperature(temperature).cfgScale(cfgScale)
                .topP(topP).topK(topK).algTemp(algTemp).eps(eps)
                .logitsEosInf(logitsEosInf).confidenceEosEotInf(confidenceEosEotInf).referenceEosQuirk(referenceEosQuirk)
                .earlyStop(earlyStop).seed(seed).specialIds(maskId, eosId, eot);
        if (threshold != null) b.threshold(threshold);
        if (factor != null) b.factor(factor);
        if (remdm == null && remdmLoop) throw new IllegalArgumentException("--remdm-loop needs --remdm cap|rescale|conf");
        if (remdm != null) b.remdm(new RemdmConfig(RemdmConfig.Schedule.parse(remdm), remdmEta, remdmWindow, remdmLoop));
        return b.build();
    }
}
