package org.unmask.diffusion;

/**
 * Fast-dLLM's threshold rule: steps repeat until the block has no masks; each commits the most confident candidate
 * and every other one whose confidence is at least the threshold.
 */
final class FastDllmThreshold implements CommitRule {
    private final double threshold;
    private final Block block;
    private final RunState state;

    FastDllmThreshold(double threshold, Block block, RunState state) {
        this.threshold = threshold;
        this.block = block;
        this.state = state;
    }

    @Override public boolean nextStep() { return state.anyUnsettledMasks(block.end()); }

    /** A row whose block is already full waits for the others without spending forward passes. */
    @Override public boolean joins(int row) { return state.masks(row, block.end()) > 0; }

    @Override
    public StepChoice choose(Candidates row) {
        Commit ranked = row.best(row.size());
        int n = 1;
        while (n < ranked.size() && ranked.confidences()[n] >= threshold) n++;
        return StepChoice.of(ranked.prefix(n));
    }
}
