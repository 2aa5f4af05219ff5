package org.unmask.train;

/** A model's summed weighted cross-entropy on a batch, without gradients (validation). */
@FunctionalInterface
public interface LossFunction {
    /** Σ weights[i]·CE(rows[i], targets[i]) in nats. */
    double loss(TrainBatch batch);
}
