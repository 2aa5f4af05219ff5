package org.unmask.diffusion;

import java.util.function.ToIntFunction;

/**
 * Fast-dLLM's parallel decoding: steps repeat until the block has no masks; each commits the most confident
 * candidates, how many decided by the threshold rule (the best one and every other one at least as confident as the
 * threshold) or the factor rule (the largest n with (n+1)(1 − c_n) &lt; f).
 */
final class FastDllm implements CommitRule {
    private final ToIntFunction<Commit> count;
    private final Block block;
    private final RunState state;

    private FastDllm(ToIntFunction<Commit> count, Block block, RunState state) {
        this.count = count;
        this.block = block;
        this.state = state;
    }

    /** The threshold rule. */
    static FastDllm threshold(double threshold, Block block, RunState state) {
        return new FastDllm(ranked -> {
            int n = 1;
            while (n < ranked.size() && ranked.confidences()[n] >= threshold) n++;
            return n;
        }, block, state);
    }

    /** The factor rule. */
    static FastDllm factor(double factor, Block block, RunState state) {
        return new FastDllm(ranked -> Schedules.factorCount(ranked.confidences(), ranked.size(), factor), block, state);
    }

    @Override public boolean nextStep() { return state.anyUnsettledMasks(block.end()); }

    /** A row whose block is already full waits for the others without spending forward passes. */
    @Override public boolean joins(int row) { return state.masks(row, block.end()) > 0; }

    @Override
    public StepChoice choose(Candidates row) {
        Commit ranked = row.best(row.size());
        return StepChoice.of(ranked.prefix(count.applyAsInt(ranked)));
    }
}
