package org.unmask.model;

import org.unmask.model.kernels.AttentionPattern;
import org.unmask.model.tensor.Weights;

import java.util.Map;

/**
 * A model the trainer, the checkpoints and the forward commands work with, whichever engine runs it: the one
 * transformer engine ({@link Transformer}) or a family's own ({@link BertEncoder}). Parameters live in one flat
 * {@link Parameters} buffer with a hand-written backward pass.
 */
public interface TrainableModel extends Denoiser {

    /** Flat parameters of a trainable model (throws IllegalStateException for an inference-only model). */
    Parameters parameters();

    /** Whether the model has trainable parameters and a backward pass. */
    boolean trainable();

    /** Weights views of every tensor by Hugging Face name (for saving a checkpoint). */
    Map<String, Weights> tensors();

    /**
     * loss = Σ_i weights[i]·CE(logits[rows[i]], targets[i]) (natural log); accumulates dLoss/dθ into
     * parameters().grads(); returns the loss. rows are flat positions b*seqLen+t.
     */
    double forwardBackward(int[] ids, int batch, int seqLen, boolean[] attend, AttentionPattern pattern,
                           int[] rows, int[] targets, float[] weights);

    /** The same loss, no gradients (validation, scoring). */
    double loss(int[] ids, int batch, int seqLen, boolean[] attend, AttentionPattern pattern,
                int[] rows, int[] targets, float[] weights);
}
