package org.unmask.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.unmask.diffusion.CacheMode;
import org.unmask.diffusion.EditingConfig;
import org.unmask.diffusion.InvalidSettingException;
import org.unmask.diffusion.Remasking;
import org.unmask.diffusion.RemdmConfig;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.Setting;
import org.unmask.model.GenerationDefaults;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleConsumer;
import java.util.function.Function;
import java.util.function.IntConsumer;

import static org.unmask.serve.JsonFields.optBool;
import static org.unmask.serve.JsonFields.optInt;
import static org.unmask.serve.JsonFields.optLong;
import static org.unmask.serve.JsonFields.optNumber;
import static org.unmask.serve.JsonFields.optString;

/**
 * The sampling settings of a request body, one JSON field per {@link Setting} named by {@link Setting#key()}, read
 * into one {@link SamplerConfig} at parse time. A field of the wrong type, and any setting the config rejects, is a
 * 400 naming the field; the generation length is named by the field the request used ({@code max_tokens} or
 * {@code max_completion_tokens}).
 */
final class SamplingFields {
    private SamplingFields() {}

    /** Preferred semi-autoregressive block length (LLaDA's chat.py); used when it divides the generation length. */
    static final int DEFAULT_BLOCK_LENGTH = 32;
    /** OpenAI's temperature range ends at 2; the sampler would take more, the API promises this range. */
    static final double MAX_TEMPERATURE = 2;
    /**
     * Steps per generated token a request may ask for. Each step can cost a forward pass (Dream and ReMDM run one
     * even when a step reveals nothing), so an unbounded count would let one request hold the worker for hours;
     * eight leaves room for ReMDM's extra steps.
     */
    static final int MAX_STEPS_PER_TOKEN = 8;
    /**
     * Largest guidance weight. The sampler mixes float logits as uncond + (w + 1)·(cond − uncond); far beyond any
     * useful weight that product overflows to ±inf/NaN and the token choice fails, which must stay a 400, not a 500.
     */
    static final double MAX_CFG_SCALE = 1000;
    /**
     * Post passes per block a request may ask for with token editing. Each costs a forward pass while it still
     * edits, and edits can cycle, so the budget is what bounds a block.
     */
    static final int MAX_POST_STEPS = 64;

    /** The settings of {@code root} for {@code genLength} generated tokens, with {@code vocab}'s special ids and LLaDA's defaults. */
    static SamplerConfig read(JsonNode root, int genLength, String genParam, Vocabulary vocab) {
        return read(root, genLength, genParam, vocab, GenerationDefaults.LLADA);
    }

    /**
     * The settings of {@code root} for {@code genLength} generated tokens, with {@code vocab}'s special ids; the
     * model family's {@code defaults} fill every field the request leaves out.
     */
    static SamplerConfig read(JsonNode root, int genLength, String genParam, Vocabulary vocab, GenerationDefaults defaults) {
        Function<Setting, String> names = s -> s == Setting.GEN_LENGTH ? genParam : s.key();
        try {
            return builder(root, genLength, defaults).specialIds(vocab.maskId(), vocab.eosId(), vocab.eotId()).build();
        } catch (InvalidSettingException e) {
            if (e.setting() == Setting.MASK_ID || e.setting() == Setting.EOS_ID || e.setting() == Setting.EOT_ID)
                throw new IllegalStateException("the model's special ids are unusable: " + e.getMessage(), e);
            throw ApiError.invalid(e.message(names), names.apply(e.setting()));
        }
    }

    private static SamplerConfig.Builder builder(JsonNode root, int genLength, GenerationDefaults defaults) {
        Integer block = optInt(root, Setting.BLOCK_LENGTH.key());
        Integer steps = optInt(root, Setting.STEPS.key());
        if (steps != null && (long) steps > (long) MAX_STEPS_PER_TOKEN * genLength)
            throw ApiError.invalid("steps is " + steps + "; this server allows at most " + MAX_STEPS_PER_TOKEN
                    + " steps per generated token (" + MAX_STEPS_PER_TOKEN * genLength + " here).", Setting.STEPS.key());
        Boolean blockCausal = optBool(root, Setting.BLOCK_CAUSAL.key());
        boolean aligned = blockCausal != null ? blockCausal : defaults.blockCausal();
        // block-causal runs pad the generation to whole blocks, so the preferred block length needs not divide it
        int preferred = aligned || (!defaults.wholeCanvas() && genLength % DEFAULT_BLOCK_LENGTH == 0) ? DEFAULT_BLOCK_LENGTH : genLength;
        SamplerConfig.Builder b = SamplerConfig.builder().genLength(genLength).fallbackShape(genLength, preferred).defaults(defaults)
                .fallbackThreshold(SamplerConfig.FAST_DLLM_THRESHOLD);
        if (steps != null) b.steps(steps);
        if (block != null) b.blockLength(block);
        if (blockCausal != null) b.blockCausal(blockCausal);
        // the answer ends at its first EOS/EoT, so masks behind a settled EOS are not worth forward passes
        b.earlyStop(true);
        String remasking = optString(root, Setting.REMASKING.key());
        Remasking rule = Remasking.parse(remasking == null ? defaults.remasking() : remasking);
        if (remasking != null) b.remasking(rule);
        Double temperature = optNumber(root, Setting.TEMPERATURE.key());
        if (temperature != null && temperature > MAX_TEMPERATURE)
            throw ApiError.invalid("temperature must be between 0 and " + MAX_TEMPERATURE + "; got " + temperature + ".",
                    Setting.TEMPERATURE.key());
        if (temperature != null) b.temperature(temperature);
        Double cfg = optNumber(root, Setting.CFG_SCALE.key());
        if (cfg != null && cfg > MAX_CFG_SCALE)
            throw ApiError.invalid("cfg_scale must be at most " + MAX_CFG_SCALE + " on this server; got " + cfg + ".",
                    Setting.CFG_SCALE.key());
        if (cfg != null) b.cfgScale(cfg);
        number(root, Setting.THRESHOLD, b::threshold);
        number(root, Setting.FACTOR, b::factor);
        // OpenAI clients send top_p by habit; it filters Dream's token sampler only, so LLaDA's rules ignore it here
        // (as this server always did) rather than rejecting the request
        number(root, Setting.TOP_P, p -> { if (rule.isDream()) b.topP(p); });
        integer(root, Setting.TOP_K, b::topK);
        number(root, Setting.ALG_TEMP, b::algTemp);
        number(root, Setting.EPS, v -> b.eps((float) v));
        Boolean eosInf = optBool(root, Setting.LOGITS_EOS_INF.key());
        if (eosInf != null) b.logitsEosInf(eosInf);
        Boolean confInf = optBool(root, Setting.CONFIDENCE_EOS_EOT_INF.key());
        if (confInf != null) b.confidenceEosEotInf(confInf);
        b.remdm(remdm(root));
        Integer postSteps = optInt(root, Setting.MAX_POST_STEPS.key());
        if (postSteps != null && postSteps > MAX_POST_STEPS)
            throw ApiError.invalid("max_post_steps must be at most " + MAX_POST_STEPS + " on this server; got " + postSteps + ".",
                    Setting.MAX_POST_STEPS.key());
        b.editing(EditingConfig.of(optNumber(root, Setting.EDITING_THRESHOLD.key()), postSteps));
        String cache = optString(root, Setting.CACHE.key());
        if (cache != null) b.cache(CacheMode.parse(cache));
        Long seed = optLong(root, Setting.SEED.key());
        return b.seed(seed != null ? seed : ThreadLocalRandom.current().nextLong());
    }

    /** ReMDM from {@code remdm} and its three companions (see {@link RemdmConfig#of}). */
    private static RemdmConfig remdm(JsonNode root) {
        String schedule = optString(root, Setting.REMDM.key());
        return RemdmConfig.of(schedule == null ? null : RemdmConfig.Schedule.parse(schedule), optNumber(root, Setting.REMDM_ETA.key()),
                optNumber(root, Setting.REMDM_WINDOW.key()), Boolean.TRUE.equals(optBool(root, Setting.REMDM_LOOP.key())));
    }

    private static void number(JsonNode root, Setting s, DoubleConsumer set) {
        Double v = optNumber(root, s.key());
        if (v != null) set.accept(v);
    }

    private static void integer(JsonNode root, Setting s, IntConsumer set) {
        Integer v = optInt(root, s.key());
        if (v != null) set.accept(v);
    }
}
