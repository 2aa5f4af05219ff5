package org.unmask.diffusion;

import org.unmask.model.Denoiser;
import org.unmask.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/** Wraps a denoiser and records every forward pass: its batch size and how many logit rows were asked for. */
public final class CountingDenoiser implements Denoiser {
    final Denoiser inner;
    public final List<int[]> calls = new ArrayList<>();   // {batch, rows}
    public long nanosInside;

    public CountingDenoiser(Denoiser inner) { this.inner = inner; }

    @Override public ModelConfig config() { return inner.config(); }

    @Override
    public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) {
        long t0 = System.nanoTime();
        float[] out = inner.logits(ids, batch, seqLen, attend, rows);
        nanosInside += System.nanoTime() - t0;
        calls.add(new int[]{batch, rows == null ? batch * seqLen : rows.length});
        return out;
    }

    public int forwards() { return calls.size(); }
}
