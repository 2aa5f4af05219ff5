package org.unmask.diffusion;

import org.unmask.model.Denoiser;
import org.unmask.model.kernels.AttentionPattern;

import java.util.Arrays;

/**
 * LLaDA 2.x's {@code LLaDA2MoeModelLM.generate} written out plainly for one prompt at temperature 0, as an independent
 * expectation for the sampler: 2.0's loop ({@code for step in range(steps)} with the block-length transfer counts)
 * and 2.1's loop ({@code while True} with a constant {@code num_to_transfer}, token editing and post steps). Two
 * choices follow the sampler's conventions rather than torch's: the mask id is never the argmax, and top-k ties go
 * to the earlier position.
 */
final class Llada2Reference {
    final Denoiser model;
    final int mask, block;
    int forwards, thresholdSteps, topkSteps, edits, blocksEndedByBudget, blocksEndedSettled;

    Llada2Reference(Denoiser model, int mask, int block) {
        this.model = model;
        this.mask = mask;
        this.block = block;
    }

    /** 2.0: the generated tokens (gen_length of them). */
    int[] generate20(int[] prompt, int gen, int steps, double threshold) {
        steps = Math.min(steps, gen);
        int[] schedule = new int[steps];
        for (int i = 0; i < steps; i++) schedule[i] = block / steps + (i < block % steps ? 1 : 0);
        int p = prompt.length, blocks = (p + gen + block - 1) / block;
        int[] x = canvas(prompt, blocks * block);
        for (int nb = p / block; nb < blocks; nb++) {
            int start = nb * block, end = start + block;
            for (int step = 0; step < steps; step++) {
                boolean[] active = new boolean[block];
                int avail = 0;
                for (int i = 0; i < block; i++) if (active[i] = x[start + i] == mask) avail++;
                if (avail == 0) break;
                double[][] pred = predict(x, end);
                boolean[] transfer = masks(pred[1], active, avail, schedule[step], threshold);
                for (int i = 0; i < block; i++) if (transfer[i]) x[start + i] = (int) pred[0][i];
            }
        }
        return Arrays.copyOfRange(x, p, p + gen);
    }

    /** 2.1 with {@code num_to_transfer} masks per step: the generated tokens. */
    int[] generate21(int[] prompt, int gen, int numToTransfer, double threshold, double editingThreshold, int maxPostSteps) {
        int p = prompt.length, blocks = (p + gen + block - 1) / block;
        int[] x = canvas(prompt, blocks * block);
        for (int nb = p / block; nb < blocks; nb++) {
            int start = nb * block, end = start + block;
            int post = 0;
            while (true) {
                int[] old = Arrays.copyOfRange(x, start, end);
                boolean[] active = new boolean[block];
                int avail = 0;
                for (int i = 0; i < block; i++) if (active[i] = old[i] == mask) avail++;
                if (avail == 0) post++;
                if (post > maxPostSteps) { blocksEndedByBudget++; break; }
                double[][] pred = predict(x, end);
                boolean[] transfer = avail > 0 ? masks(pred[1], active, avail, numToTransfer, threshold) : new boolean[block];
                boolean edited = false;
                for (int i = 0; i < block; i++) {
                    boolean editable = !active[i] && start + i >= p;
                    if (editable && pred[1][i] > editingThreshold && (int) pred[0][i] != old[i]) {
                        transfer[i] = true;
                        edited = true;
                        edits++;
                    }
                }
                for (int i = 0; i < block; i++) if (transfer[i]) x[start + i] = (int) pred[0][i];
                if (avail == 0 && !edited) { blocksEndedSettled++; break; }
            }
        }
        return Arrays.copyOfRange(x, p, p + gen);
    }

    private int[] canvas(int[] prompt, int total) {
        int[] x = new int[total];
        Arrays.fill(x, mask);
        System.arraycopy(prompt, 0, x, 0, prompt.length);
        return x;
    }

    /** Commit every active position above the threshold if there are at least k, else the k most confident. */
    private boolean[] masks(double[] p, boolean[] active, int avail, int k, double threshold) {
        boolean[] transfer = new boolean[block];
        int high = 0;
        for (int i = 0; i < block; i++) if (active[i] && p[i] > threshold) high++;
        if (high >= k) {
            thresholdSteps++;
            for (int i = 0; i < block; i++) transfer[i] = active[i] && p[i] > threshold;
            return transfer;
        }
        topkSteps++;
        for (int n = 0; n < Math.min(k, avail); n++) {
            int best = -1;
            for (int i = 0; i < block; i++)
                if (active[i] && !transfer[i] && (best < 0 || p[i] > p[best])) best = i;
            transfer[best] = true;
        }
        return transfer;
    }

    /** Argmax token and its softmax probability for every position of the last block of {@code x[:end]}. */
    private double[][] predict(int[] x, int end) {
        int[] rows = new int[block];
        for (int i = 0; i < block; i++) rows[i] = end - block + i;
        float[] logits = model.logits(Arrays.copyOf(x, end), 1, end, null, rows, AttentionPattern.blockCausal(block));
        forwards++;
        int vocab = model.config().embeddingSize();
        double[][] out = new double[2][block];
        for (int i = 0; i < block; i++) {
            int off = i * vocab, arg = -1;
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, logits[off + v]);
                if (v != mask && (arg < 0 || logits[off + v] > logits[off + arg])) arg = v;
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) sum += Math.exp(logits[off + v] - max);
            out[0][i] = arg;
            out[1][i] = Math.exp(logits[off + arg] - max) / sum;
        }
        return out;
    }
}
