package org.unmask.diffusion;

/**
 * A text to score: its token ids, of which the first {@code promptLength} are a condition (never masked, never
 * counted) and the rest are scored.
 */
public record ScoredSequence(int[] tokens, int promptLength) {
    /** Checks that something is left to score. */
    public ScoredSequence {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("cannot score an empty text");
        if (promptLength < 0 || promptLength >= tokens.length)
            throw new IllegalArgumentException("prompt length " + promptLength + " leaves nothing to score in " + tokens.length + " tokens");
    }

    /** A whole text with no prompt. */
    public static ScoredSequence of(int[] tokens) { return new ScoredSequence(tokens, 0); }

    /** Number of scored tokens. */
    public int scoredLength() { return tokens.length - promptLength; }
}
