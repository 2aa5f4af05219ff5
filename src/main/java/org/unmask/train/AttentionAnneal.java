package org.unmask.train;

import org.unmask.model.kernels.AttentionPattern;

/**
 * Attention annealed from causal to bidirectional over the first {@code steps} optimizer steps, as DiffuLLaMA and
 * Dream do when they adapt an autoregressive model: at step s each query sees ⌊s·T/steps⌋ keys beyond itself, so
 * step 0 is exactly the causal mask the weights were trained under and step {@code steps} onwards is bidirectional.
 * A function of the step alone, so a resumed run repeats the masks of an uninterrupted one.
 */
public record AttentionAnneal(long steps) {
    /** No annealing: the objective's own pattern throughout. */
    public static final AttentionAnneal NONE = new AttentionAnneal(0);

    /** Checks the length. */
    public AttentionAnneal {
        if (steps < 0) throw new IllegalArgumentException("--anneal-steps must be >= 0, got " + steps);
    }

    /** Whether the anneal still changes the pattern at {@code step}. */
    public boolean activeAt(long step) { return step < steps; }

    /** The pattern of the optimizer step {@code step} (0-based) for rows of {@code seqLen} tokens. */
    public AttentionPattern pattern(long step, int seqLen) {
        if (!activeAt(step)) return AttentionPattern.BIDIRECTIONAL;
        long lookahead = step * seqLen / steps;
        return lookahead >= seqLen - 1 ? AttentionPattern.BIDIRECTIONAL : AttentionPattern.lookahead((int) lookahead);
    }
}
