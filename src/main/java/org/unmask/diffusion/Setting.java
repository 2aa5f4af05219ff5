package org.unmask.diffusion;

import java.util.Locale;

/**
 * The sampling settings by their neutral names. Validation errors name a setting; each edge spells it its own way:
 * the command line as a flag ({@code --block-length}), the HTTP API as a JSON field ({@code block_length}).
 */
public enum Setting {
    GEN_LENGTH, STEPS, BLOCK_LENGTH, REMASKING, TEMPERATURE, CFG_SCALE, THRESHOLD, FACTOR, TOP_P, TOP_K, ALG_TEMP, EPS,
    LOGITS_EOS_INF, CONFIDENCE_EOS_EOT_INF, REFERENCE_EOS_QUIRK, EARLY_STOP, REMDM, REMDM_ETA, REMDM_WINDOW, REMDM_LOOP,
    BLOCK_CAUSAL, EDITING_THRESHOLD, MAX_POST_STEPS, CACHE, SEED, MASK_ID, EOS_ID, EOT_ID;

    /** The neutral spelling, e.g. {@code block_length}; also the JSON field of the HTTP API. */
    public String key() { return name().toLowerCase(Locale.ROOT); }

    /** The command-line spelling, e.g. {@code --block-length}. */
    public String flag() { return "--" + key().replace('_', '-'); }
}
