package org.unmask.diffusion;

/**
 * LLaDA 2.1's token editing (T2T): while a block is decoded, each of its already revealed tokens (never a prompt
 * token) is replaced when the model now predicts a different token with a confidence above {@code threshold}; once
 * the block has no masks, up to {@code maxPostSteps} more passes run, and the block ends early at the first pass that
 * changes nothing.
 *
 * @param threshold    confidence a replacement must exceed, in (0, 1]
 * @param maxPostSteps passes after the block's masks are gone, at least 0
 */
public record EditingConfig(double threshold, int maxPostSteps) {

    /** {@code max_post_steps} of LLaDA 2.1's {@code generate}. */
    public static final int DEFAULT_MAX_POST_STEPS = 16;

    /**
     * The editing settings as an edge receives them: null when {@code threshold} is absent or 0 (off, as for every
     * threshold; naming {@code max_post_steps} then is an error), else editing with the default post steps filled in.
     */
    public static EditingConfig of(Double threshold, Integer maxPostSteps) {
        if (threshold == null || threshold == 0) {
            if (maxPostSteps != null) throw new InvalidSettingException(Setting.MAX_POST_STEPS,
                    "{max_post_steps} applies to token editing; set {editing_threshold}");
            return null;
        }
        return new EditingConfig(threshold, maxPostSteps != null ? maxPostSteps : DEFAULT_MAX_POST_STEPS);
    }

    /** Validates both settings. */
    public EditingConfig {
        if (!(threshold > 0 && threshold <= 1))
            throw new InvalidSettingException(Setting.EDITING_THRESHOLD, "{editing_threshold} must be in (0, 1] (0 = off), got " + threshold);
        if (maxPostSteps < 0)
            throw new InvalidSettingException(Setting.MAX_POST_STEPS, "{max_post_steps} must be >= 0, got " + maxPostSteps);
    }
}
