package org.unmask.diffusion;

/**
 * Every setting of one generation run. Build with {@link #builder(int, int, int)}; the constructor validates the
 * combination and names the offending option.
 *
 * @param genLength        masked positions appended after the prompt (0 for pure infilling)
 * @param steps            total denoising steps, split evenly over the blocks (ignored by threshold decoding)
 * @param blockLength      semi-autoregressive block length (divides genLength)
 * @param remasking        which predictions each step keeps
 * @param temperature      0 = argmax; otherwise Gumbel-max (LLaDA) or categorical sampling (Dream)
 * @param cfgScale         classifier-free guidance weight w (0 = off)
 * @param threshold        Fast-dLLM confidence threshold, NaN = off
 * @param factor           Fast-dLLM factor rule, NaN = off
 * @param topP             Dream nucleus filter, 1 = off
 * @param topK             Dream top-k filter, 0 = off
 * @param algTemp          Dream position temperature, 0 = deterministic top-n
 * @param eps              Dream's final timestep
 * @param logitsEosInf     EOS logit set to −inf before choosing tokens
 * @param confidenceEosEotInf EOS/EoT predictions get confidence 0
 * @param referenceEosQuirk reproduce generate.py's T &gt; 0 behaviour of confidenceEosEotInf (only EoT zeroed)
 * @param earlyStop        stop spending forward passes once the rest of a row is settled as EOS
 * @param remdm            ReMDM re-masking, null = off (revealed tokens never change)
 * @param seed             seed of the per-row random streams (row j uses seed + j)
 * @param maskId           the mask token id
 * @param eosId            the end-of-text id (also padding)
 * @param eotId            the end-of-turn id, -1 when the model has none
 */
public record SamplerConfig(int genLength, int steps, int blockLength, Remasking remasking, double temperature,
                            double cfgScale, double threshold, double factor, double topP, int topK, double algTemp,
                            float eps, boolean logitsEosInf, boolean confidenceEosEotInf, boolean referenceEosQuirk,
                            boolean earlyStop, RemdmConfig remdm, long seed, int maskId, int eosId, int eotId) {

    /** Validates the combination of options. */
    public SamplerConfig {
        req(genLength >= 0, "--gen-length must be non-negative, got " + genLength);
        req(steps > 0, "--steps must be positive, got " + steps);
        req(blockLength > 0, "--block-length must be positive, got " + blockLength);
        if (genLength > 0) {
            req(genLength % blockLength == 0, "--gen-length (" + genLength + ") must be a multiple of --block-length (" + blockLength + ")");
            int blocks = genLength / blockLength;
            req(steps % blocks == 0, "--steps (" + steps + ") must be a multiple of the number of blocks (" + blocks + ")");
        }
        req(remasking != null, "remasking is required");
        req(temperature >= 0 && Double.isFinite(temperature), "--temperature must be >= 0, got " + temperature);
        req(cfgScale >= 0 && Double.isFinite(cfgScale), "--cfg-scale must be >= 0, got " + cfgScale);
        req(Double.isNaN(threshold) || (threshold > 0 && threshold <= 1), "--threshold must be in (0, 1], got " + threshold);
        req(Double.isNaN(factor) || factor > 0, "--factor must be positive, got " + factor);
        req(Double.isNaN(threshold) || Double.isNaN(factor), "--threshold and --factor cannot be combined");
        boolean parallel = !Double.isNaN(threshold) || !Double.isNaN(factor);
        req(!parallel || remasking == Remasking.LOW_CONFIDENCE || remasking == Remasking.MASKGIT_PLUS,
                "--threshold/--factor need a probability confidence (low_confidence or maskgit_plus), got " + remasking.cliName());
        req(topP > 0 && topP <= 1, "--top-p must be in (0, 1], got " + topP);
        req(topK >= 0, "--top-k must be >= 0, got " + topK);
        req(algTemp >= 0 && Double.isFinite(algTemp), "--alg-temp must be >= 0, got " + algTemp);
        req(remasking.isDream() || (topP == 1 && topK == 0 && algTemp == 0),
                "--top-p, --top-k and --alg-temp apply to Dream algorithms (origin, maskgit_plus, topk_margin, entropy), not " + remasking.cliName());
        req(eps > 0 && eps < 1, "--eps must be in (0, 1), got " + eps);
        req(!confidenceEosEotInf || remasking == Remasking.LOW_CONFIDENCE,
                "--confidence-eos-eot-inf applies to low_confidence remasking only");
        req(remdm == null || (!parallel && !remasking.isDream()),
                "ReMDM re-masking works with the fixed-step LLaDA schedule (low_confidence or random), not with threshold decoding or Dream algorithms");
        if (remdm != null && remdm.loop()) {
            int spb = steps / (genLength == 0 ? 1 : Math.max(1, genLength / blockLength));
            req(remdm.windowSteps(spb) < spb, "--remdm-window " + remdm.window() + " leaves no steps before the loop to reveal each block ("
                    + spb + " steps per block)");
        }
        req(maskId >= 0, "mask id must be non-negative");
        req(eosId >= 0, "EOS id must be non-negative");
        req(eosId != maskId, "EOS id equals the mask id (" + maskId + ")");
        req(eotId != maskId, "EoT id equals the mask id (" + maskId + ")");
    }

    private static void req(boolean ok, String msg) {
        if (!ok) throw new IllegalArgumentException(msg);
    }

    /** Whether Fast-dLLM parallel decoding (threshold or factor) is on. */
    public boolean parallelDecoding() { return !Double.isNaN(threshold) || !Double.isNaN(factor); }

    /** Number of semi-autoregressive blocks (1 for pure infilling). */
    public int blocks() { return genLength == 0 ? 1 : genLength / blockLength; }

    /** Steps per block. */
    public int stepsPerBlock() { return steps / blocks(); }

    /** A builder with LLaDA's defaults (low_confidence, T = 0, no CFG) and the given special ids. */
    public static Builder builder(int genLength, int steps, int blockLength) { return new Builder(genLength, steps, blockLength); }

    /** Mutable builder for {@link SamplerConfig}. */
    public static final class Builder {
        private final int genLength, steps, blockLength;
        private Remasking remasking = Remasking.LOW_CONFIDENCE;
        private double temperature, cfgScale, algTemp;
        private double threshold = Double.NaN, factor = Double.NaN, topP = 1;
        private int topK;
        private float eps = 1e-3f;
        private boolean logitsEosInf, confidenceEosEotInf, referenceEosQuirk, earlyStop;
        private RemdmConfig remdm;
        private long seed;
        private int maskId = -1, eosId = -1, eotId = -1;

        private Builder(int genLength, int steps, int blockLength) {
            this.genLength = genLength; this.steps = steps; this.blockLength = blockLength;
        }
        public Builder remasking(Remasking r) { remasking = r; return this; }
        public Builder temperature(double t) { temperature = t; return this; }
        public Builder cfgScale(double w) { cfgScale = w; return this; }
        public Builder threshold(double t) { threshold = t; return this; }
        public Builder factor(double f) { factor = f; return this; }
        public Builder topP(double p) { topP = p; return this; }
        public Builder topK(int k) { topK = k; return this; }
        public Builder algTemp(double t) { algTemp = t; return this; }
        public Builder eps(float e) { eps = e; return this; }
        public Builder logitsEosInf(boolean b) { logitsEosInf = b; return this; }
        public Builder confidenceEosEotInf(boolean b) { confidenceEosEotInf = b; return this; }
        public Builder referenceEosQuirk(boolean b) { referenceEosQuirk = b; return this; }
        public Builder earlyStop(boolean b) { earlyStop = b; return this; }
        public Builder remdm(RemdmConfig r) { remdm = r; return this; }
        public Builder seed(long s) { seed = s; return this; }
        /** Mask, EOS and EoT ids (EoT -1 when unknown). */
        public Builder specialIds(int mask, int eos, int eot) { maskId = mask; eosId = eos; eotId = eot; return this; }
        public SamplerConfig build() {
            return new SamplerConfig(genLength, steps, blockLength, remasking, temperature, cfgScale, threshold, factor,
                    topP, topK, algTemp, eps, logitsEosInf, confidenceEosEotInf, referenceEosQuirk, earlyStop, remdm,
                    seed, maskId, eosId, eotId);
        }
    }
}
