package org.unmask.serve;

/** Receives every denoising step of one request, on the engine's thread; must not block for long. */
@FunctionalInterface
public interface StepListener {
    void onStep(StepEvent event);

    /** A listener that ignores the steps. */
    StepListener NONE = e -> { };
}
