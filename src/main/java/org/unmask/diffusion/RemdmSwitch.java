package org.unmask.diffusion;

/**
 * ReMDM's switch variant on LLaDA's quota: from the window's first step, a row first draws revealed tokens of the
 * block to re-mask, with σ_max = min(1, (1 − α_s)/α_t) from the planned fractions revealed before and after the step,
 * then commits its quota plus as many as it drew, then re-masks them, so the block still ends with no masks.
 */
final class RemdmSwitch implements CommitRule {
    private final LladaQuota quota;
    private final int firstActiveStep;
    private final RemdmDraw draw;

    RemdmSwitch(LladaQuota quota, int firstActiveStep, RemdmDraw draw) {
        this.quota = quota;
        this.firstActiveStep = firstActiveStep;
        this.draw = draw;
    }

    @Override public boolean nextStep() { return quota.nextStep(); }

    @Override
    public boolean joins(int row) {
        // a row with revealed tokens may re-mask and re-reveal even when its quota is 0
        return quota.joins(row) || (active() && quota.revealedSoFar(row) > 0);
    }

    @Override
    public StepChoice choose(Candidates row) {
        if (!active()) return quota.choose(row);
        int b = row.row(), n0 = quota.initialMasks(b);
        int[] remask = NONE;
        if (n0 > 0) {
            int mt = n0 - quota.revealedSoFar(b), ms = mt - quota.quota(b);
            double alphaT = 1 - (double) mt / n0, alphaS = 1 - (double) ms / n0;
            // nothing to re-mask before anything is revealed, and nothing may be left masked after the last step
            if (alphaT > 0 && ms > 0) remask = draw.choose(b, Math.min(1, (1 - alphaS) / alphaT), ms);
        }
        return new StepChoice(quota.take(row, remask.length), remask);
    }

    private boolean active() { return quota.step() >= firstActiveStep; }
}
