package org.unmask.diffusion;

/**
 * Dream's timestep schedule, linspace(1, eps, steps + 1). The confidence algorithms (maskgit_plus, topk_margin,
 * entropy) commit {@code int(m·(1 − t_{i+1}/t_i))} of the row's m candidates at step i, every remaining one on the
 * last; {@code origin} instead reveals each candidate independently with probability 1 − t_{i+1}/t_i (all coin flips
 * first, then the tokens of those revealed).
 */
final class DreamSchedule implements CommitRule {
    private final float[] ts;
    private final boolean origin;
    private final Block block;
    private final RunState state;
    private final boolean earlyStop;
    private int step = -1;

    DreamSchedule(int steps, float eps, boolean origin, Block block, RunState state, boolean earlyStop) {
        this.ts = Schedules.dreamTimesteps(steps, eps);
        this.origin = origin;
        this.block = block;
        this.state = state;
        this.earlyStop = earlyStop;
    }

    @Override public boolean nextStep() { return ++step < ts.length - 1; }

    @Override public boolean joins(int row) { return !earlyStop || state.masks(row, block.end()) > 0; }

    @Override
    public StepChoice choose(Candidates row) {
        if (!origin) return StepChoice.of(row.best(Schedules.dreamCount(ts, step, (float) row.size())));
        double p = Schedules.originProbability(ts, step);
        boolean[] take = new boolean[row.size()];
        for (int i = 0; i < take.length; i++) take[i] = row.random().nextDouble() < p;
        return StepChoice.of(row.drawn(take));
    }
}
