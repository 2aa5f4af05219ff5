package org.unmask.diffusion;

import org.unmask.model.GenerationDefaults;

/**
 * Every setting of one generation run, the one settings type of the CLI, chat, the server and the library API. Build
 * with {@link #builder(int, int, int)}; the constructor validates the combination once and names the offending
 * setting through {@link InvalidSettingException}.
 *
 * @param genLength        masked positions appended after the prompt (0 for pure infilling)
 * @param steps            total denoising steps, split evenly over the blocks (ignored by threshold decoding); with
 *                         {@code blockCausal}, the steps of each block (capped at genLength), as in LLaDA 2.x
 * @param blockLength      semi-autoregressive block length (divides genLength unless {@code blockCausal})
 * @param remasking        which predictions each step keeps
 * @param temperature      0 = argmax; otherwise Gumbel-max (LLaDA) or categorical sampling (Dream)
 * @param cfgScale         classifier-free guidance weight w (0 = off)
 * @param threshold        Fast-dLLM confidence threshold, or with {@code blockCausal} LLaDA 2.x's; NaN = off (the
 *                         builder and every edge take 0 for off)
 * @param factor           Fast-dLLM factor rule, NaN = off (the builder and every edge take 0 for off)
 * @param topP             Dream nucleus filter, 1 = off
 * @param topK             Dream top-k filter, 0 = off
 * @param algTemp          Dream position temperature, 0 = deterministic top-n
 * @param eps              Dream's final timestep
 * @param logitsEosInf     EOS logit set to −inf before choosing tokens
 * @param confidenceEosEotInf EOS/EoT predictions get confidence 0
 * @param referenceEosQuirk reproduce generate.py's T &gt; 0 behaviour of confidenceEosEotInf (only EoT zeroed)
 * @param earlyStop        stop spending forward passes once the rest of a row is settled as EOS
 * @param remdm            ReMDM re-masking, null = off (revealed tokens never change)
 * @param blockCausal      LLaDA 2.x generation: a canvas of whole blocks aligned at each row's position 0, decoded
 *                         with block-causal attention by {@link BlockRefinement}'s threshold-or-top-k rule
 * @param editing          LLaDA 2.1's token editing, null = off (needs {@code blockCausal})
 * @param cache            which keys and values the run keeps between steps ({@link CacheMode}; exact under
 *                         {@code blockCausal}, Fast-dLLM's approximation otherwise)
 * @param seed             seed of the per-row random streams (row j uses seed + j)
 * @param maskId           the mask token id
 * @param eosId            the end-of-text id (also padding)
 * @param eotId            the end-of-turn id, -1 when the model has none
 */
public record SamplerConfig(int genLength, int steps, int blockLength, Remasking remasking, double temperature,
                            double cfgScale, double threshold, double factor, double topP, int topK, double algTemp,
                            float eps, boolean logitsEosInf, boolean confidenceEosEotInf, boolean referenceEosQuirk,
                            boolean earlyStop, RemdmConfig remdm, boolean blockCausal, EditingConfig editing, CacheMode cache, long seed,
                            int maskId, int eosId, int eotId) {

    /** Fast-dLLM's confidence threshold, the parallel decoding chat and the server use unless told otherwise. */
    public static final double FAST_DLLM_THRESHOLD = 0.9;

    /** The largest classifier-free guidance weight. */
    public static final double MAX_CFG_SCALE = 1e6;

    /** Validates the combination of settings; errors name the settings as {@code {key}} (see {@link InvalidSettingException}). */
    public SamplerConfig {
        req(genLength >= 0, Setting.GEN_LENGTH, "{gen_length} must be non-negative, got " + genLength);
        req(steps > 0, Setting.STEPS, "{steps} must be positive, got " + steps);
        req(blockLength > 0, Setting.BLOCK_LENGTH, "{block_length} must be positive, got " + blockLength);
        if (blockCausal) {
            req(genLength > 0, Setting.BLOCK_CAUSAL, "{block_causal} generation needs {gen_length} > 0");
        } else if (genLength > 0) {
            req(genLength % blockLength == 0, Setting.BLOCK_LENGTH,
                    "{gen_length} (" + genLength + ") must be a multiple of {block_length} (" + blockLength + ")");
            int blocks = genLength / blockLength;
            req(steps % blocks == 0, Setting.STEPS, "{steps} (" + steps + ") must be a multiple of the number of blocks (" + blocks
                    + " = {gen_length} " + genLength + " / {block_length} " + blockLength + ")");
        }
        req(remasking != null, Setting.REMASKING, "{remasking} is required");
        req(cache != null, Setting.CACHE, "{cache} is required");
        req(temperature >= 0 && Double.isFinite(temperature), Setting.TEMPERATURE, "{temperature} must be >= 0, got " + temperature);
        // larger guidance weights overflow the guided float logits (u + (w+1)(c − u)) to infinity
        req(cfgScale >= 0 && cfgScale <= MAX_CFG_SCALE, Setting.CFG_SCALE, "{cfg_scale} must be in [0, " + (int) MAX_CFG_SCALE + "], got " + cfgScale);
        req(Double.isNaN(threshold) || (threshold > 0 && threshold <= 1), Setting.THRESHOLD,
                "{threshold} must be in (0, 1] (0 = off), got " + threshold);
        req(Double.isNaN(factor) || (factor > 0 && Double.isFinite(factor)), Setting.FACTOR, "{factor} must be positive (0 = off), got " + factor);
        req(Double.isNaN(threshold) || Double.isNaN(factor), Setting.FACTOR, "{threshold} and {factor} cannot be combined");
        boolean parallel = !Double.isNaN(threshold) || !Double.isNaN(factor);
        req(!parallel || remasking == Remasking.LOW_CONFIDENCE || remasking == Remasking.MASKGIT_PLUS,
                Double.isNaN(threshold) ? Setting.FACTOR : Setting.THRESHOLD,
                "{threshold}/{factor} need a probability confidence ({remasking} low_confidence or maskgit_plus), got " + remasking.cliName());
        req(!blockCausal || Double.isNaN(factor), Setting.FACTOR, "{factor} cannot be combined with {block_causal} generation");
        req(!blockCausal || remasking == Remasking.LOW_CONFIDENCE || remasking == Remasking.MASKGIT_PLUS, Setting.REMASKING,
                "{block_causal} generation ranks by a probability ({remasking} low_confidence or maskgit_plus), got " + remasking.cliName());
        req(editing == null || blockCausal, Setting.EDITING_THRESHOLD, "{editing_threshold} applies to {block_causal} generation (LLaDA 2.1)");
        req(topP > 0 && topP <= 1, Setting.TOP_P, "{top_p} must be in (0, 1], got " + topP);
        req(topK >= 0, Setting.TOP_K, "{top_k} must be >= 0, got " + topK);
        req(algTemp >= 0 && Double.isFinite(algTemp), Setting.ALG_TEMP, "{alg_temp} must be >= 0, got " + algTemp);
        req(remasking.isDream() || topP == 1, Setting.TOP_P, "{top_p} applies to Dream algorithms (origin, maskgit_plus, topk_margin, entropy), not " + remasking.cliName());
        req(remasking.isDream() || topK == 0, Setting.TOP_K, "{top_k} applies to Dream algorithms (origin, maskgit_plus, topk_margin, entropy), not " + remasking.cliName());
        req(remasking.isDream() || algTemp == 0, Setting.ALG_TEMP, "{alg_temp} applies to Dream algorithms (origin, maskgit_plus, topk_margin, entropy), not " + remasking.cliName());
        req(eps > 0 && eps < 1, Setting.EPS, "{eps} must be in (0, 1), got " + eps);
        req(!confidenceEosEotInf || remasking == Remasking.LOW_CONFIDENCE, Setting.CONFIDENCE_EOS_EOT_INF,
                "{confidence_eos_eot_inf} applies to low_confidence remasking only");
        req(remdm == null || (!parallel && !remasking.isDream() && !blockCausal), Setting.REMDM,
                "{remdm} re-masking works with the fixed-step LLaDA schedule (low_confidence or random), not with threshold decoding, Dream algorithms or {block_causal} generation");
        if (remdm != null && remdm.loop()) {
            int spb = steps / (genLength == 0 ? 1 : Math.max(1, genLength / blockLength));
            req(remdm.windowSteps(spb) < spb, Setting.REMDM_WINDOW, "{remdm_window} " + remdm.window()
                    + " leaves no steps before the loop to reveal each block (" + spb + " steps per block)");
        }
        req(maskId >= 0, Setting.MASK_ID, "mask id must be non-negative");
        req(eosId >= 0, Setting.EOS_ID, "EOS id must be non-negative");
        req(eosId != maskId, Setting.EOS_ID, "EOS id equals the mask id (" + maskId + ")");
        req(eotId != maskId, Setting.EOT_ID, "EoT id equals the mask id (" + maskId + ")");
    }

    private static void req(boolean ok, Setting setting, String msg) {
        if (!ok) throw new InvalidSettingException(setting, msg);
    }

    /**
     * True when the seed decides nothing: argmax tokens (temperature 0) and no random choice of positions (random
     * remasking, Dream's origin, alg_temp) or of re-masks (ReMDM).
     */
    public boolean deterministic() {
        return temperature == 0 && remasking != Remasking.RANDOM && remasking != Remasking.ORIGIN && algTemp == 0 && remdm == null;
    }

    /**
     * The cache as it acts, for messages: "none", "exact" under block-causal attention (whatever the mode: finished
     * blocks never change, so every mode keeps their keys and values exactly), else the approximate mode's name.
     */
    public String cacheName() {
        return cache == CacheMode.NONE ? "none" : blockCausal ? "exact" : cache.cliName();
    }

    /** Whether Fast-dLLM parallel decoding (threshold or factor) is on (block-causal generation has its own threshold). */
    public boolean parallelDecoding() { return !blockCausal && (!Double.isNaN(threshold) || !Double.isNaN(factor)); }

    /**
     * Number of semi-autoregressive blocks (1 for pure infilling). A block-causal run decodes ⌈genLength/blockLength⌉
     * blocks after a prompt of whole blocks, and one more when the prompt's last block is partial and the generation
     * spills over.
     */
    public int blocks() { return genLength == 0 ? 1 : blockCausal ? Math.ceilDiv(genLength, blockLength) : genLength / blockLength; }

    /** Steps per block; block-causal runs cap them at the gen length, as LLaDA 2.x's {@code generate} does. */
    public int stepsPerBlock() { return blockCausal ? Math.min(steps, genLength) : steps / blocks(); }

    /** A builder with LLaDA's defaults (low_confidence, T = 0, no CFG; see {@link Builder#defaults}) and the given canvas shape. */
    public static Builder builder(int genLength, int steps, int blockLength) {
        return new Builder().genLength(genLength).steps(steps).blockLength(blockLength);
    }

    /**
     * A builder with LLaDA's defaults and no canvas shape yet: {@link Builder#genLength} is required; steps default to
     * one per generated token and the block to the whole generation.
     */
    public static Builder builder() { return new Builder(); }

    /** A builder holding every setting of this one, to change some of them. */
    public Builder toBuilder() {
        Builder b = builder(genLength, steps, blockLength).remasking(remasking).temperature(temperature).cfgScale(cfgScale)
                .topP(topP).topK(topK).algTemp(algTemp).eps(eps).logitsEosInf(logitsEosInf)
                .confidenceEosEotInf(confidenceEosEotInf).referenceEosQuirk(referenceEosQuirk).earlyStop(earlyStop)
                .remdm(remdm).blockCausal(blockCausal).editing(editing).cache(cache).seed(seed).specialIds(maskId, eosId, eotId);
        b.threshold = threshold;
        b.factor = factor;
        b.parallelRuleSet = true;
        return b;
    }

    /** Mutable builder for {@link SamplerConfig}. */
    public static final class Builder {
        private Integer genLength, steps, blockLength;
        // unset (null) settings take the model family's default at build time
        private Remasking remasking;
        private Double temperature, algTemp, topP;
        private Integer topK;
        private Float eps;
        private GenerationDefaults defaults;   // null: LLaDA's
        private double cfgScale;
        private double threshold = Double.NaN, factor = Double.NaN;
        private boolean logitsEosInf, confidenceEosEotInf, referenceEosQuirk, earlyStop;
        private RemdmConfig remdm;
        private Boolean blockCausal;              // null: the family's
        private boolean parallelRuleSet;          // threshold or factor given (even as 0 = off): no family threshold
        private int fallbackSteps = -1, fallbackBlock = -1;
        private double fallbackThreshold = Double.NaN;
        private EditingConfig editing;
        private CacheMode cache;                  // null: dual for semi-autoregressive and block-causal runs
        private long seed;
        private int maskId = -1, eosId = -1, eotId = -1;

        private Builder() {}

        /** Masked positions appended after the prompt. */
        public Builder genLength(int n) { genLength = n; return this; }
        /** Denoising steps over the whole generation (default: one per generated token); per block with {@link #blockCausal} (default: the block length). */
        public Builder steps(int n) { steps = n; return this; }
        /** Semi-autoregressive block length (default: the whole generation). */
        public Builder blockLength(int n) { blockLength = n; return this; }
        /** Sets the gen length unless it is set already. */
        public Builder genLengthIfUnset(int n) { if (genLength == null) genLength = n; return this; }
        /** Sets the steps unless they are set already (a command's own default, e.g. one per mask when infilling). */
        public Builder stepsIfUnset(int n) { if (steps == null) steps = n; return this; }
        /** Sets the block length unless it is set already. */
        public Builder blockLengthIfUnset(int n) { if (blockLength == null) blockLength = n; return this; }
        /** The gen length set so far, or {@code fallback}. */
        public int genLengthOr(int fallback) { return genLength == null ? fallback : genLength; }
        /** Whether the special ids are still unset (the library fills in the model's). */
        public boolean lacksSpecialIds() { return maskId < 0; }
        /**
         * The model family's generation defaults for every setting left unset (remasking, temperature, and with a Dream
         * algorithm top-p, top-k, alg_temp; eps); LLaDA's unless set.
         */
        public Builder defaults(GenerationDefaults d) { defaults = d; return this; }
        /** Sets the family defaults unless they are set already (the library fills in the model's). */
        public Builder defaultsIfUnset(GenerationDefaults d) { if (defaults == null) defaults = d; return this; }
        public Builder remasking(Remasking r) { remasking = r; return this; }
        public Builder temperature(double t) { temperature = t; return this; }
        public Builder cfgScale(double w) { cfgScale = w; return this; }
        /** The Fast-dLLM threshold; 0 turns it off, as everywhere else. */
        public Builder threshold(double t) { threshold = t == 0 ? Double.NaN : t; parallelRuleSet = true; return this; }
        /** The Fast-dLLM factor; 0 turns it off, as everywhere else. */
        public Builder factor(double f) { factor = f == 0 ? Double.NaN : f; parallelRuleSet = true; return this; }
        public Builder topP(double p) { topP = p; return this; }
        public Builder topK(int k) { topK = k; return this; }
        public Builder algTemp(double t) { algTemp = t; return this; }
        public Builder eps(float e) { eps = e; return this; }
        public Builder logitsEosInf(boolean b) { logitsEosInf = b; return this; }
        public Builder confidenceEosEotInf(boolean b) { confidenceEosEotInf = b; return this; }
        public Builder referenceEosQuirk(boolean b) { referenceEosQuirk = b; return this; }
        public Builder earlyStop(boolean b) { earlyStop = b; return this; }
        public Builder remdm(RemdmConfig r) { remdm = r; return this; }
        /** LLaDA 2.x generation: block-aligned canvas, block-causal attention, threshold-or-top-k commits. */
        public Builder blockCausal(boolean b) { blockCausal = b; return this; }
        /**
         * The steps and block length an edge prefers when neither the user nor the model family sets them (a
         * command's own defaults, e.g. one step per mask when infilling, or chat's blocks of 32).
         */
        public Builder fallbackShape(int steps, int blockLength) { fallbackSteps = steps; fallbackBlock = blockLength; return this; }
        /**
         * The Fast-dLLM threshold an edge prefers (chat and the server: {@link #FAST_DLLM_THRESHOLD}) when the user sets
         * no threshold or factor and the run uses LLaDA's low-confidence rule without re-masking; family rules (Dream's
         * algorithms, LLaDA 2.x's) keep their own.
         */
        public Builder fallbackThreshold(double t) { fallbackThreshold = t; return this; }
        /** LLaDA 2.1's token editing (null = off). */
        public Builder editing(EditingConfig e) { editing = e; return this; }
        /** The KV cache (default: {@code dual} when the run decodes more than one block or block-causally, else none). */
        public Builder cache(CacheMode c) { cache = c; return this; }
        public Builder seed(long s) { seed = s; return this; }
        /** Mask, EOS and EoT ids (EoT -1 when unknown). */
        public Builder specialIds(int mask, int eos, int eot) { maskId = mask; eosId = eos; eotId = eot; return this; }
        public SamplerConfig build() {
            if (genLength == null) throw new InvalidSettingException(Setting.GEN_LENGTH, "{gen_length} is required");
            int gen = genLength;
            GenerationDefaults defaults = this.defaults != null ? this.defaults : GenerationDefaults.LLADA;
            if (defaults.autoregressive()) requireOneTokenPerStep();
            // what the user set wins, then the model family's defaults, then the edge's preferred shape
            boolean bc = blockCausal != null ? blockCausal : defaults.blockCausal();
            // a default block length applies to the generation it was given for: block-causal, or semi-autoregressive
            boolean defaultBlockFits = defaults.blockLength() > 0 && bc == defaults.blockCausal();
            int semiArSteps = steps != null ? steps : fallbackSteps > 0 ? fallbackSteps : Math.max(1, gen);
            int bl = blockLength != null ? blockLength
                    : defaultBlockFits ? (bc ? defaults.blockLength() : modelBlockFor(defaults.blockLength(), gen, semiArSteps))
                    : fallbackBlock > 0 ? fallbackBlock : Math.max(1, gen);
            Remasking rm = remasking != null ? remasking : Remasking.parse(defaults.remasking());
            // the family's Dream filters belong to its Dream algorithm: with another remasking they are off
            boolean dream = rm.isDream();
            int st = steps != null || !bc ? semiArSteps : bl;
            // the family's threshold (LLaDA 2.x's 0.95) applies to its own block-causal rule and a probability confidence
            double thr = !parallelRuleSet && bc && defaults.threshold() > 0 && remdm == null
                    && (rm == Remasking.LOW_CONFIDENCE || rm == Remasking.MASKGIT_PLUS) ? defaults.threshold() : threshold;
            if (!parallelRuleSet && !bc && remdm == null && rm == Remasking.LOW_CONFIDENCE && !Double.isNaN(fallbackThreshold))
                thr = fallbackThreshold;
            return new SamplerConfig(gen, st, bl, rm, temperature != null ? temperature : defaults.temperature(), cfgScale,
                    thr, factor, topP != null ? topP : dream ? defaults.topP() : 1,
                    topK != null ? topK : dream ? defaults.topK() : 0, algTemp != null ? algTemp : dream ? defaults.algTemp() : 0,
                    eps != null ? eps : (float) defaults.eps(), logitsEosInf, confidenceEosEotInf, referenceEosQuirk,
                    earlyStop, remdm, bc, editing, cache != null ? cache : defaultCache(gen, bl, bc), seed, maskId, eosId, eotId);
        }

        /**
         * A model's own semi-autoregressive block length ({@value GenerationDefaults#FILE}) fitted to {@code gen}
         * tokens in {@code steps} steps: itself when it divides the generation and its blocks split the steps evenly,
         * else the largest shorter length that does, so that any length a user asks for runs in blocks no longer than
         * the model's; when none does, the steps are what the user must change, and the error says so.
         */
        private static int modelBlockFor(int preferred, int gen, int steps) {
            if (gen <= 0) return preferred;
            for (int b = Math.min(preferred, gen); b >= 1; b--)
                if (gen % b == 0 && steps % (gen / b) == 0) return b;
            throw new InvalidSettingException(Setting.STEPS, "{steps} (" + steps + ") do not split evenly over the blocks of any"
                    + " block length up to the model's default (" + preferred + ") that divides {gen_length} (" + gen
                    + "); choose other {steps} or set {block_length}");
        }

        /** An autoregressive model's shape is fixed (its defaults): the settings that would change it are refused by name. */
        private void requireOneTokenPerStep() {
            String why = "an autoregressive model writes one token per step, left to right: ";
            if (Boolean.FALSE.equals(blockCausal)) throw new InvalidSettingException(Setting.BLOCK_CAUSAL, why + "{block_causal} cannot be off");
            if (blockLength != null && blockLength != 1)
                throw new InvalidSettingException(Setting.BLOCK_LENGTH, why + "{block_length} must be 1, got " + blockLength);
            if (steps != null && steps != 1) throw new InvalidSettingException(Setting.STEPS, why + "{steps} must be 1 (per token), got " + steps);
            if (!Double.isNaN(threshold)) throw new InvalidSettingException(Setting.THRESHOLD, why + "{threshold} has nothing to choose from");
            if (editing != null) throw new InvalidSettingException(Setting.EDITING_THRESHOLD, why + "{editing_threshold} does not apply");
            if (remdm != null) throw new InvalidSettingException(Setting.REMDM, why + "{remdm} re-masks written tokens, which it never revisits");
            if (remasking != null && remasking != Remasking.LOW_CONFIDENCE && remasking != Remasking.MASKGIT_PLUS)
                throw new InvalidSettingException(Setting.REMASKING, why + "{remasking} has one position to rank; use low_confidence (the "
                        + "default) or maskgit_plus (with {top_p}/{top_k}), got " + remasking.cliName());
        }

        /**
         * A cache pays when the run decodes block after block: dual (Fast-dLLM's default, exact under block-causal
         * attention). One block over the whole generation keeps the exact uncached forward.
         */
        private static CacheMode defaultCache(int genLength, int blockLength, boolean blockCausal) {
            return blockCausal || (genLength > 0 && blockLength < genLength) ? CacheMode.DUAL : CacheMode.NONE;
        }
    }
}
