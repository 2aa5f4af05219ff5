package org.unmask.diffusion;

import org.unmask.model.Denoiser;
import org.unmask.model.ModelConfig;

/**
 * The step model over a plain {@link Denoiser}: every call is one full forward over the canvas, so what changed and
 * the block bounds are not needed.
 *
 * @param denoiser the model
 */
public record DenoiserStepModel(Denoiser denoiser) implements StepModel {

    /** A factory that gives every run its own step model over {@code denoiser}. */
    public static StepModelFactory factory(Denoiser denoiser) { return new Factory(denoiser); }

    @Override
    public float[] logits(Canvas canvas, int[] batchRows, int[] rows, int[][] changed, Block block) {
        return denoiser.logits(canvas.ids(), canvas.batch(), canvas.seqLen(), canvas.attend(), rows);
    }

    private record Factory(Denoiser denoiser) implements StepModelFactory {
        @Override public ModelConfig config() { return denoiser.config(); }
        @Override public StepModel newRun() { return new DenoiserStepModel(denoiser); }
    }
}
