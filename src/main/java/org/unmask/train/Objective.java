package org.unmask.train;

/** A training objective: turns clean sequences into a weighted cross-entropy problem for the transformer. */
public interface Objective {
    /** Corrupts {@code clean} with randomness from {@code rng} (the only source, so runs are reproducible). */
    TrainBatch corrupt(CleanBatch clean, Rng rng);

    /** Short name for logs and the trainer state ("diffusion", "ar", "sft"). */
    String name();

    /** The interval masking rates are drawn from, {low, high}, saved with a checkpoint; null when nothing is masked. */
    default double[] maskRates() { return null; }

    /** How the masked tokens' cross-entropies are weighted, saved with a checkpoint; null when nothing is masked. */
    default LossWeighting lossWeighting() { return null; }

    /** Whether the masking rates are spread over the batch, saved with a checkpoint; null when nothing is masked. */
    default Boolean stratified() { return null; }
}
