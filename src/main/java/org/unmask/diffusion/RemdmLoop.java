package org.unmask.diffusion;

/**
 * ReMDM's loop variant: LLaDA's quota reveals the whole block in the steps before the window; each window step then
 * re-masks revealed tokens before the forward (σ_max taken as 1) and re-predicts exactly those, holding α at 1
 * while the model revisits its least certain choices.
 */
final class RemdmLoop implements CommitRule {
    private final LladaQuota reveal;
    private final int revealSteps, steps;
    private final RemdmDraw draw;
    private final boolean earlyStop;
    private final int[][] remasked;
    private int step = -1;

    /** A block of {@code steps} steps whose last {@code windowSteps} loop. */
    RemdmLoop(int steps, int windowSteps, RemdmDraw draw, Block block, RunState state, boolean earlyStop) {
        this.steps = steps;
        this.revealSteps = steps - windowSteps;
        this.reveal = new LladaQuota(revealSteps, block, state, earlyStop);
        this.draw = draw;
        this.earlyStop = earlyStop;
        this.remasked = new int[state.batch()][];
    }

    @Override
    public boolean nextStep() {
        step++;
        return looping() ? step < steps : reveal.nextStep();
    }

    @Override
    public int[] remaskBeforeForward(int row) {
        if (!looping()) return NONE;
        remasked[row] = draw.choose(row, 1.0, Integer.MAX_VALUE);
        return remasked[row];
    }

    @Override
    public boolean joins(int row) { return looping() ? !earlyStop || remasked[row].length > 0 : reveal.joins(row); }

    @Override
    public StepChoice choose(Candidates row) {
        return looping() ? StepChoice.of(row.best(row.size())) : reveal.choose(row);
    }

    private boolean looping() { return step >= revealSteps; }
}
