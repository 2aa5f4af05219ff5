package org.unmask.diffusion;

/** Receives every denoising step as it happens (terminal animation, GIF frames, JSON trace). */
@FunctionalInterface
public interface StepListener {
    /** Called after the step's commits, re-masks and early-stop fills. */
    void onStep(StepEvent event);

    /** Calls each listener in turn. */
    static StepListener all(StepListener... listeners) {
        return e -> { for (StepListener l : listeners) if (l != null) l.onStep(e); };
    }
}
