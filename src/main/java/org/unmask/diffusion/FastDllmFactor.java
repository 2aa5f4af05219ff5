package org.unmask.diffusion;

/**
 * Fast-dLLM's factor rule ({@code get_transfer_index_dynamic}): steps repeat until the block has no masks; each
 * commits the longest prefix of the ranked candidates allowed by {@link Schedules#factorCount}, at least one.
 */
final class FastDllmFactor implements CommitRule {
    private final double factor;
    private final Block block;
    private final RunState state;

    FastDllmFactor(double factor, Block block, RunState state) {
        this.factor = factor;
        this.block = block;
        this.state = state;
    }

    @Override public boolean nextStep() { return state.anyUnsettledMasks(block.end()); }

    /** A row whose block is already full waits for the others without spending forward passes. */
    @Override public boolean joins(int row) { return state.masks(row, block.end()) > 0; }

    @Override
    public StepChoice choose(Candidates row) {
        Commit ranked = row.best(row.size());
        return StepChoice.of(ranked.prefix(Schedules.factorCount(ranked.confidences(), ranked.size(), factor)));
    }
}
