package org.unmask.diffusion;

import org.unmask.model.ModelConfig;

/** Where a {@link Sampler} gets its model: the configuration, and a fresh {@link StepModel} for every run. */
public interface StepModelFactory {

    /** The architecture and special token ids. */
    ModelConfig config();

    /** A step model for one new generation run; per-run state such as a cache starts empty. */
    StepModel newRun();
}
