package org.unmask.diffusion;

/**
 * Dream's {@code origin}: with timesteps linspace(1, eps, steps + 1), each candidate is revealed independently with
 * probability 1 − t_{i+1}/t_i (1 on the last step); all coin flips come first, then the tokens of those revealed.
 */
final class DreamOrigin implements CommitRule {
    private final float[] ts;
    private final Block block;
    private final RunState state;
    private final boolean earlyStop;
    private int step = -1;

    DreamOrigin(int steps, float eps, Block block, RunState state, boolean earlyStop) {
        this.ts = Schedules.dreamTimesteps(steps, eps);
        this.block = block;
        this.state = state;
        this.earlyStop = earlyStop;
    }

    @Override public boolean nextStep() { return ++step < ts.length - 1; }

    @Override public boolean joins(int row) { return !earlyStop || state.masks(row, block.end()) > 0; }

    @Override
    public StepChoice choose(Candidates row) {
        double p = Schedules.originProbability(ts, step);
        boolean[] take = new boolean[row.size()];
        for (int i = 0; i < take.length; i++) take[i] = row.random().nextDouble() < p;
        return StepChoice.of(row.drawn(take));
    }
}
