package org.unmask.model.kernels;

import org.unmask.model.tensor.Weights;

/**
 * Matrix products in the three orientations a linear layer needs (row-major, all offsets in elements):
 * forward {@code y = x·Wᵀ}, backward to the input {@code dx += dy·W}, backward to the weight {@code dW += dyᵀ·x}.
 */
public final class MatMul {
    private MatMul() {}

    /** {@code out[T,N] = x[T,K] · W[N,K]ᵀ} where W starts at element {@code wOffset} of {@code w}. */
    public static void forward(float[] out, int outOff, float[] x, int xOff, Weights w, long wOffset, int T, int K, int N) {
        Parallel.forRange(N, 16, (n0, n1) -> {
            for (int t = 0; t < T; t++) {
                for (int n = n0; n < n1; n++) {
                    out[outOff + t * N + n] = w.dot(wOffset + (long) n * K, x, xOff + t * K, K);
                }
            }
        });
    }

    /** {@code dx[T,K] += dy[T,N] · W[N,K]}. */
    public static void backwardInput(float[] dx, int dxOff, float[] dy, int dyOff, float[] w, int wOff, int T, int N, int K) {
        Parallel.forRange(T, 1, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                for (int n = 0; n < N; n++) {
                    float g = dy[dyOff + t * N + n];
                    if (g == 0) continue;
                    int wr = wOff + n * K, xr = dxOff + t * K;
                    for (int k = 0; k < K; k++) dx[xr + k] += g * w[wr + k];
                }
            }
        });
    }

    /** {@code dW[N,K] += dy[T,N]ᵀ · x[T,K]}. */
    public static void backwardWeight(float[] dw, int dwOff, float[] dy, int dyOff, float[] x, int xOff, int T, int N, int K) {
        Parallel.forRange(N, 4, (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                int wr = dwOff + n * K;
                for (int t = 0; t < T; t++) {
                    float g = dy[dyOff + t * N + n];
                    if (g == 0) continue;
                    int xr = xOff + t * K;
                    for (int k = 0; k < K; k++) dw[wr + k] += g * x[xr + k];
                }
            }
        });
    }
}
