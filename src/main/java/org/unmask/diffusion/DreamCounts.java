package org.unmask.diffusion;

/**
 * Dream's confidence algorithms (maskgit_plus, topk_margin, entropy): with timesteps linspace(1, eps, steps + 1),
 * step i commits {@code int(m·(1 − t_{i+1}/t_i))} of the row's m candidates, and every remaining one on the last.
 */
final class DreamCounts implements CommitRule {
    private final float[] ts;
    private final Block block;
    private final RunState state;
    private final boolean earlyStop;
    private int step = -1;

    DreamCounts(int steps, float eps, Block block, RunState state, boolean earlyStop) {
        this.ts = Schedules.dreamTimesteps(steps, eps);
        this.block = block;
        this.state = state;
        this.earlyStop = earlyStop;
    }

    @Override public boolean nextStep() { return ++step < ts.length - 1; }

    @Override public boolean joins(int row) { return !earlyStop || state.masks(row, block.end()) > 0; }

    @Override
    public StepChoice choose(Candidates row) {
        return StepChoice.of(row.best(Schedules.dreamCount(ts, step, (float) row.size())));
    }
}
