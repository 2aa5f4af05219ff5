package org.unmask.model;

import org.unmask.model.kernels.MatMul;
import org.unmask.model.tensor.Weights;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Random;

/** Floating-point operation counts of the transformer, and timings of its matrix products at the model's shapes. */
public final class ModelFlops {
    private ModelFlops() {}

    /** Multiply-adds ×2 of one forward pass: the linear layers, attention scores and values, the LM head on {@code rows}. */
    public static double forward(ModelConfig c, int B, int T, int rows) {
        double n = (double) B * T, d = c.dModel(), q = c.qDim(), kv = c.kvDim(), m = c.mlpHiddenSize();
        double linear = 2 * n * (2 * d * q + 2 * d * kv + 3 * d * m);
        double attention = 2 * 2 * (double) B * c.nHeads() * T * (double) T * c.headDim();
        return c.nLayers() * (linear + attention) + 2.0 * rows * d * c.embeddingSize();
    }

    /** Times MatMul at every linear shape of the model and prints GFLOPS per shape and orientation. */
    public static void matMulReport(PrintStream out, ModelConfig c, int n, int headRows, boolean backward) {
        int d = c.dModel(), kv = c.kvDim(), m = c.mlpHiddenSize(), e = c.embeddingSize();
        int[][] shapes = {{n, d, d}, {n, d, kv}, {n, d, m}, {n, m, d}, {headRows, d, e}};
        String[] names = {"q/attn_out", "k/v", "ff_proj/up_proj", "ff_out", "lm head"};
        Random rnd = new Random(3);
        for (int s = 0; s < shapes.length; s++) {
            int t = shapes[s][0], k = shapes[s][1], nOut = shapes[s][2];
            if (s == 1 && kv == d) continue;   // same shape as q
            float[] x = fill(rnd, t * k), w = fill(rnd, nOut * k), y = new float[t * nOut], dx = new float[t * k], dw = new float[nOut * k];
            Weights ww = new Weights.F32(w, 0, w.length);
            double flops = 2.0 * t * k * nOut;
            double f = time(() -> MatMul.forward(y, 0, x, 0, ww, 0, t, k, nOut));
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "matmul %-16s [%d x %d] x [%d x %d]^T: forward %.1f GFLOPS",
                    names[s], t, k, nOut, k, flops / f / 1e9));
            if (backward) {
                double bi = time(() -> MatMul.backwardInput(dx, 0, y, 0, w, 0, t, nOut, k));
                double bw = time(() -> MatMul.backwardWeight(dw, 0, y, 0, x, 0, t, nOut, k));
                line.append(String.format(Locale.ROOT, ", backward input %.1f GFLOPS, backward weight %.1f GFLOPS",
                        flops / bi / 1e9, flops / bw / 1e9));
            }
            out.println(line);
        }
    }

    private static float[] fill(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    /** Best seconds per call after one warm-up, over at least 3 calls or 0.3 s. */
    private static double time(Runnable r) {
        r.run();
        double best = Double.MAX_VALUE, spent = 0;
        for (int i = 0; i < 3 || (spent < 0.3 && i < 50); i++) {
            long t0 = System.nanoTime();
            r.run();
            double s = (System.nanoTime() - t0) / 1e9;
            best = Math.min(best, s);
            spent += s;
        }
        return best;
    }
}
