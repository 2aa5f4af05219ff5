package org.unmask.model.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.LladaTensors;
import org.unmask.model.ModelConfig;
import org.unmask.compute.Parallel;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RandomInitTest {

    @TempDir Path tmp;

    @Test
    void sameSeedGivesIdenticalBytesRegardlessOfThreadCount() throws IOException {
        ModelConfig c = Fixtures.smallConfig();
        int threads = Parallel.threads();
        try {
            Parallel.setThreads(1);
            Checkpoint.saveSources(tmp.resolve("a"), c, RandomInit.tensors(c, 5), DType.BF16, 1L << 30, null);
            Parallel.setThreads(3);
            Checkpoint.saveSources(tmp.resolve("b"), c, RandomInit.tensors(c, 5), DType.BF16, 1L << 30, null);
        } finally {
            Parallel.setThreads(threads);
        }
        Checkpoint.saveSources(tmp.resolve("c"), c, RandomInit.tensors(c, 6), DType.BF16, 1L << 30, null);
        byte[] a = Files.readAllBytes(tmp.resolve("a/model.safetensors"));
        assertThat(Files.readAllBytes(tmp.resolve("b/model.safetensors"))).isEqualTo(a);
        assertThat(Files.readAllBytes(tmp.resolve("c/model.safetensors"))).isNotEqualTo(a);
    }

    @Test
    void matricesAreNormalWithStd002AndNormsAreOne() throws IOException {
        ModelConfig c = new ModelConfig(64, 1, 4, 4, 128, 512, 512, 32, 10000.0, 1e-5, false, 2, 0, 0, 1);
        Path dir = tmp.resolve("m");
        Checkpoint.saveSources(dir, c, RandomInit.tensors(c, 9), DType.F32, 1L << 30, null);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            for (Map.Entry<String, long[]> e : LladaTensors.expectedShapes(c).entrySet()) {
                float[] v = Fixtures.toArray(ck.tensors().get(e.getKey()));
                if (e.getValue().length == 1) {
                    assertThat(v).as(e.getKey()).containsOnly(1f);
                    continue;
                }
                double sum = 0, sq = 0, beyond2 = 0;
                for (float x : v) {
                    sum += x;
                    sq += (double) x * x;
                    if (Math.abs(x) > 2 * RandomInit.STD) beyond2++;
                }
                double mean = sum / v.length, std = Math.sqrt(sq / v.length - mean * mean);
                // sampling error of the std estimate is about std/sqrt(2n): n >= 8192 gives < 0.8%
                assertThat(mean).as(e.getKey()).isCloseTo(0, org.assertj.core.data.Offset.offset(4 * 0.02 / Math.sqrt(v.length)));
                assertThat(std).as(e.getKey()).isCloseTo(0.02, org.assertj.core.data.Offset.offset(0.001));
                // a normal puts 4.55% of its mass beyond two standard deviations
                assertThat(beyond2 / v.length).as(e.getKey()).isBetween(0.035, 0.056);
            }
            // distinct tensors get distinct streams
            float[] q = Fixtures.toArray(ck.tensors().get(LladaTensors.block(0, "q_proj")));
            float[] o = Fixtures.toArray(ck.tensors().get(LladaTensors.block(0, "attn_out")));
            assertThat(q).isNotEqualTo(o);
        }
    }

    @Test
    void readsAtAnyOffsetAgreeWithOneSequentialRead() {
        int n = 2 * RandomInit.CHUNK + 12345;
        RandomInit.Gaussian g = new RandomInit.Gaussian(n, 0.02, new long[]{1, 2, 3});
        float[] whole = new float[n];
        g.read(0, whole, 0, n);
        float[] pieces = new float[n];
        int[] cuts = {0, 7, RandomInit.CHUNK - 3, RandomInit.CHUNK + 100, 2 * RandomInit.CHUNK + 1, n};
        for (int i = 0; i + 1 < cuts.length; i++) g.read(cuts[i], pieces, cuts[i], cuts[i + 1] - cuts[i]);
        assertThat(pieces).isEqualTo(whole);
        assertThat(whole[0]).isNotEqualTo(whole[RandomInit.CHUNK]);
    }

    @Test
    void initialisedModelIsAValidCheckpointOfEveryDtype() throws IOException {
        ModelConfig c = Fixtures.smallConfig();
        for (DType d : new DType[]{DType.F32, DType.BF16, DType.F16}) {
            Path dir = tmp.resolve(d.name());
            Checkpoint.saveSources(dir, c, RandomInit.tensors(c, 1), d, 2500, null);
            try (Checkpoint ck = Checkpoint.open(dir)) {
                assertThat(ck.tensors()).hasSize(LladaTensors.expectedShapes(c).size());
                Weights w = ck.tensors().get(LladaTensors.LM_HEAD);
                assertThat(w.dtype()).isEqualTo(d);
            }
        }
    }
}
