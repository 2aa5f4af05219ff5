package org.unmask.diffusion;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a step chooses which predictions to keep: LLaDA's {@code low_confidence} and {@code random}, and Dream's
 * {@code origin}, {@code maskgit_plus}, {@code topk_margin} and {@code entropy}.
 */
public enum Remasking {
    /** LLaDA: keep the predictions whose (noise-free) softmax probability is highest. */
    LOW_CONFIDENCE("low_confidence", false),
    /** LLaDA: keep uniformly random predictions. */
    RANDOM("random", false),
    /** Dream: reveal each masked position independently with probability 1 − s/t. */
    ORIGIN("origin", true),
    /** Dream: confidence = probability of the drawn token. */
    MASKGIT_PLUS("maskgit_plus", true),
    /** Dream: confidence = top-1 minus top-2 probability. */
    TOPK_MARGIN("topk_margin", true),
    /** Dream: confidence = Σ p·log p (negative entropy). */
    ENTROPY("entropy", true);

    private final String cliName;
    private final boolean dream;

    Remasking(String cliName, boolean dream) { this.cliName = cliName; this.dream = dream; }

    /** The spelling used on the command line and in traces. */
    public String cliName() { return cliName; }

    /** Whether this is one of Dream's algorithms (Dream timestep schedule, Dream token sampler). */
    public boolean isDream() { return dream; }

    /** Parses a command-line spelling such as {@code low_confidence} or {@code topk_margin}. */
    public static Remasking parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        for (Remasking r : values()) if (r.cliName.equals(k)) return r;
        throw new InvalidSettingException(Setting.REMASKING, "unknown {remasking} '" + s + "'; expected one of "
                + Arrays.stream(values()).map(Remasking::cliName).collect(Collectors.joining(", ")));
    }
}
