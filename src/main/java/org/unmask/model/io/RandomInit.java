package org.unmask.model.io;

import org.unmask.model.ModelConfig;
import org.unmask.model.Parameters;
import org.unmask.model.TensorSpec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Randomly initialised checkpoint tensors, generated on demand: matrices N(0, 0.02), norm weights 1, biases 0. Each tensor is
 * cut into fixed chunks with their own seeds drawn from one root generator, so the values depend only on the seed,
 * not on the number of threads or on the order in which chunks are produced.
 */
public final class RandomInit {
    private RandomInit() {}

    /** Standard deviation of the matrix entries. */
    public static final double STD = Parameters.INIT_STD;

    /** Elements per independently seeded chunk. */
    static final int CHUNK = SafetensorsWriter.CHUNK;

    /** Sources for every tensor of {@code config}, in checkpoint order. */
    public static Map<String, TensorSource> tensors(ModelConfig config, long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        Map<String, TensorSource> out = new LinkedHashMap<>();
        for (Map.Entry<String, TensorSpec> e : config.family().tensors(config).entrySet()) {
            long size = e.getValue().size();
            SplittableRandom tensorRng = root.split();
            if (e.getValue().init() != TensorSpec.Init.GAUSSIAN) {
                out.put(e.getKey(), TensorSource.constant(size, e.getValue().init() == TensorSpec.Init.ONES ? 1f : 0f));
            } else {
                long[] seeds = new long[(int) ((size + CHUNK - 1) / CHUNK)];
                for (int k = 0; k < seeds.length; k++) seeds[k] = tensorRng.nextLong();
                out.put(e.getKey(), new Gaussian(size, STD, seeds));
            }
        }
        return out;
    }

    /** N(0, std²) values; chunk k comes from {@code new SplittableRandom(seeds[k])}. */
    record Gaussian(long size, double std, long[] seeds) implements TensorSource {
        public void read(long offset, float[] dst, int dstOffset, int n) {
            long pos = offset, end = offset + n;
            int o = dstOffset;
            while (pos < end) {
                int k = (int) (pos / CHUNK);
                long chunkStart = (long) k * CHUNK;
                long chunkEnd = Math.min(end, chunkStart + CHUNK);
                SplittableRandom r = new SplittableRandom(seeds[k]);
                // reads that do not start on a chunk boundary replay the chunk's prefix
                for (long skip = chunkStart; skip < pos; skip++) r.nextGaussian();
                for (; pos < chunkEnd; pos++) dst[o++] = (float) (r.nextGaussian() * std);
            }
        }
    }
}
