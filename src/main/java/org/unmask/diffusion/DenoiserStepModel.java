package org.unmask.diffusion;

import org.unmask.model.Denoiser;
import org.unmask.model.ModelConfig;
import org.unmask.model.kernels.AttentionPattern;

/**
 * The step model over a plain {@link Denoiser}: every call is one full forward over the canvas, so what changed is
 * not needed. Under a block-causal pattern the forward stops at the end of the current block: no position before
 * it can see a later one, so the logits asked for are the same and the positions after the block cost nothing.
 *
 * @param denoiser the model
 */
public record DenoiserStepModel(Denoiser denoiser) implements StepModel {

    /** A factory that gives every run its own step model over {@code denoiser}. */
    public static StepModelFactory factory(Denoiser denoiser) { return new Factory(denoiser); }

    @Override
    public float[] logits(Canvas canvas, int[] batchRows, int[] rows, int[][] changed, Block block) {
        if (canvas.pattern().kind() == AttentionPattern.Kind.BIDIRECTIONAL)
            return denoiser.logits(canvas.ids(), canvas.batch(), canvas.seqLen(), canvas.attend(), rows);
        int end = canvas.prefixIsClosed(block.end()) ? block.end() : canvas.seqLen();
        Canvas cut = canvas.prefix(end);
        return denoiser.logits(cut.ids(), cut.batch(), cut.seqLen(), cut.attend(), canvas.prefixRows(rows, end), cut.pattern());
    }

    private record Factory(Denoiser denoiser) implements StepModelFactory {
        @Override public ModelConfig config() { return denoiser.config(); }
        @Override public StepModel newRun() { return new DenoiserStepModel(denoiser); }
    }
}
