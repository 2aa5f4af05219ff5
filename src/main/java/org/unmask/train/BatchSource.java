package org.unmask.train;

import com.fasterxml.jackson.databind.JsonNode;

/** Where a trainer's clean batches come from; its position is part of the trainer state so a resume continues it. */
public interface BatchSource {
    /** The next batch. */
    CleanBatch next();

    /** Epochs consumed so far (fractional). */
    double epochs();

    /** Optimizer steps one epoch takes at {@code microBatchesPerStep} batches per step. */
    long stepsPerEpoch(int microBatchesPerStep);

    /** The position, as JSON, for trainer_state.json. */
    JsonNode state();

    /** Continues from a position returned by {@link #state()}; errors name the field. */
    void restore(JsonNode state);

    /**
     * How this source's data differs from the data a saved position was taken in, when it does and the position says
     * enough to tell (a note for the resume: the run then continues from the same position, but not exactly).
     */
    default java.util.Optional<String> change(JsonNode state) { return java.util.Optional.empty(); }
}
