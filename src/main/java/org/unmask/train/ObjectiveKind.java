package org.unmask.train;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The pretraining objectives {@code train --objective} offers, by their command-line spelling. */
public enum ObjectiveKind {
    /** LLaDA masked diffusion (bidirectional). */
    DIFFUSION,
    /** The autoregressive baseline (causal, next-token). */
    AR,
    /** Block diffusion (BD3-LM): autoregressive over blocks, masked diffusion inside each. */
    BLOCK;

    /** The spelling on the command line and in trainer_state.json. */
    public String spelling() { return name().toLowerCase(Locale.ROOT); }

    /** Parses a spelling such as {@code diffusion} or {@code ar}. */
    public static ObjectiveKind parse(String s) {
        for (ObjectiveKind k : values()) if (k.spelling().equals(s.trim().toLowerCase(Locale.ROOT))) return k;
        throw new IllegalArgumentException("unknown objective '" + s + "' (known: "
                + Arrays.stream(values()).map(ObjectiveKind::spelling).collect(Collectors.joining(", ")) + ")");
    }
}
