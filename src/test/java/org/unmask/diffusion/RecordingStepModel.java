package org.unmask.diffusion;

import org.unmask.model.Denoiser;
import org.unmask.model.ModelConfig;
import org.unmask.model.kernels.AttentionPattern;

import java.util.ArrayList;
import java.util.List;

/** A step model over a denoiser that keeps a copy of everything each call was given; also its own factory. */
final class RecordingStepModel implements StepModel, StepModelFactory {

    /** One call: the canvas, which run rows it holds, the requested rows, the changes, the block and the pattern. */
    record Call(int[] ids, int batch, int seqLen, int[] batchRows, int[] rows, int[][] changed, Block block,
                AttentionPattern pattern) {}

    private final Denoiser denoiser;
    final List<Call> calls = new ArrayList<>();
    int runs;

    RecordingStepModel(Denoiser denoiser) { this.denoiser = denoiser; }

    @Override public ModelConfig config() { return denoiser.config(); }

    @Override
    public StepModel newRun() {
        runs++;
        return this;
    }

    @Override
    public float[] logits(Canvas canvas, int[] batchRows, int[] rows, int[][] changed, Block block) {
        int[][] copy = new int[changed.length][];
        for (int j = 0; j < changed.length; j++) copy[j] = changed[j] == null ? null : changed[j].clone();
        calls.add(new Call(canvas.ids().clone(), canvas.batch(), canvas.seqLen(), batchRows.clone(), rows.clone(), copy, block,
                canvas.pattern()));
        return new DenoiserStepModel(denoiser).logits(canvas, batchRows, rows, changed, block);
    }
}
