package org.unmask.train;

import org.junit.jupiter.api.Test;
import org.unmask.model.Transformer;
import org.unmask.model.ModelConfig;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Forward, backward, clipping and AdamW together: a tiny model memorises one masked batch. */
class TrainingStepTest {

    @Test
    void repeatedStepsOnOneBatchDriveTheLossDown() {
        ModelConfig c = new ModelConfig(32, 2, 4, 2, 64, 20, 20, 64, 10000.0, 1e-5, false, 2, 0, 0, 1);
        Transformer model = Transformer.randomInit(c, 5);
        AdamW opt = new AdamW(model.parameters(), 0.9, 0.95, 1e-8, 0.01);
        Random rnd = new Random(6);
        int B = 2, T = 16;
        int[] clean = new int[B * T], ids = new int[B * T];
        for (int i = 0; i < clean.length; i++) clean[i] = 3 + rnd.nextInt(17);
        System.arraycopy(clean, 0, ids, 0, ids.length);
        int[] rows = {1, 4, 5, 9, 14, 17, 20, 21, 27, 30};
        int[] targets = new int[rows.length];
        for (int i = 0; i < rows.length; i++) { targets[i] = clean[rows[i]]; ids[rows[i]] = c.maskTokenId(); }
        float[] weights = new float[rows.length];
        java.util.Arrays.fill(weights, 1f / rows.length);
        double first = model.loss(ids, B, T, null, null, rows, targets, weights);
        assertThat(first).isBetween(Math.log(20) - 0.2, Math.log(20) + 0.2);   // near-uniform predictions at init
        for (int step = 0; step < 40; step++) {
            model.parameters().zeroGrads();
            model.forwardBackward(ids, B, T, null, null, rows, targets, weights);
            double norm = GradClip.clipGlobalNorm(model.parameters().grads(), 1.0);
            assertThat(norm).isFinite();
            opt.step(1e-2);
        }
        assertThat(model.loss(ids, B, T, null, null, rows, targets, weights)).isLessThan(0.3 * first);
    }
}
