package org.unmask.diffusion;

import org.unmask.model.Denoiser;
import org.unmask.model.ModelConfig;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Measures the sampler's own time per step (everything outside {@code Denoiser.logits}) on a 256-position canvas
 * with a fake model whose logits are copied from a random table. Not a test; run with
 * {@code java -cp target/classes:target/test-classes:... org.unmask.diffusion.SamplerOverheadBench}.
 */
public final class SamplerOverheadBench {

    /** Logits copied from a fixed random table, so the model costs little and its time is measured separately. */
    static final class TableModel implements Denoiser {
        final ModelConfig config;
        final float[] table;
        int call;

        TableModel(int vocab) {
            config = new ModelConfig(8, 1, 2, null, 16, vocab, null, 4096, 10000, 1e-5, false, 2, 0, null, 1);
            table = new float[vocab + 4099];
            SplittableRandom r = new SplittableRandom(1);
            for (int i = 0; i < table.length; i++) table[i] = (float) (r.nextGaussian() * 3);
        }

        @Override public ModelConfig config() { return config; }

        @Override
        public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) {
            int v = config.embeddingSize();
            float[] out = new float[rows.length * v];
            for (int i = 0; i < rows.length; i++) System.arraycopy(table, (rows[i] * 31 + call * 7) % 4099, out, i * v, v);
            call++;
            return out;
        }
    }

    public static void main(String[] args) {
        int prompt = 64, gen = 192, block = 32, steps = 192;
        int[] p = new int[prompt];
        for (int i = 0; i < prompt; i++) p[i] = 10 + i;
        System.out.printf("canvas %d (prompt %d + gen %d), block %d, %d steps%n", prompt + gen, prompt, gen, block, steps);
        for (int vocab : new int[]{4096, 32000, 126464}) {
            for (String mode : List.of("T=0", "T=1", "T=0 cfg=1", "T=0 threshold=0.9")) {
                SamplerConfig.Builder b = SamplerConfig.builder(gen, steps, block).specialIds(2, 0, 5);
                if (mode.contains("T=1")) b.temperature(1).seed(1);
                if (mode.contains("cfg")) b.cfgScale(1);
                if (mode.contains("threshold")) b.threshold(0.9);
                SamplerConfig cfg = b.build();
                double best = Double.MAX_VALUE;
                int nsteps = 0;
                double rowsPerStep = 0;
                for (int rep = 0; rep < 3; rep++) {
                    CountingDenoiser m = new CountingDenoiser(new TableModel(vocab));
                    long t0 = System.nanoTime();
                    SampleResult r = new Sampler(m, cfg).generate(p);
                    long total = System.nanoTime() - t0;
                    nsteps = r.steps();
                    rowsPerStep = m.calls.stream().mapToInt(c -> c[1]).average().orElse(0);
                    best = Math.min(best, (total - m.nanosInside) / 1e6 / r.steps());
                }
                System.out.printf("vocab %6d  %-18s steps %3d  rows/forward %5.1f  sampler overhead %8.3f ms/step%n",
                        vocab, mode, nsteps, rowsPerStep, best);
            }
        }
    }
}
