package org.unmask.model.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.compute.Parallel;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TensorStreamerTest {

    @TempDir Path dir;

    /** Element i of a tensor: distinct, position-dependent values so misplaced batches show up. */
    private static float value(long i) { return ((i * 2654435761L) % 100_003) / 977f; }

    private static TensorSource function(long size, long failAt) {
        return new TensorSource() {
            public long size() { return size; }
            public void read(long offset, float[] dst, int dstOffset, int n) {
                if (offset + n > failAt) throw new IllegalStateException("generator failed at " + failAt);
                for (int i = 0; i < n; i++) dst[dstOffset + i] = value(offset + i);
            }
        };
    }

    private static long batchElements() { return (long) Math.max(4, 2 * Parallel.threads()) * TensorStreamer.CHUNK; }

    @Test
    void manyBatchesLandInOrderAcrossTensors() throws IOException {
        long big = 2 * batchElements() + 12_345;   // three batches, the last one partial
        Map<String, TensorSource> t = new LinkedHashMap<>();
        t.put("a_small", function(10, Long.MAX_VALUE));
        t.put("b_big", function(big, Long.MAX_VALUE));
        t.put("c_tail", function(3, Long.MAX_VALUE));
        Map<String, long[]> shapes = Map.of("a_small", new long[]{10}, "b_big", new long[]{big}, "c_tail", new long[]{3});
        long[] lastProgress = {0};
        Path f = dir.resolve("big.safetensors");
        SafetensorsWriter.writeSources(f, t, shapes, DType.BF16, Map.of(), w -> {
            assertThat(w).isGreaterThan(lastProgress[0]);
            lastProgress[0] = w;
        });
        assertThat(lastProgress[0]).isEqualTo(2 * (10 + big + 3));
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            for (String name : shapes.keySet()) {
                Weights w = sf.weights(name);
                for (long i = 0; i < w.size(); i++) {
                    float want = Float.intBitsToFloat(ReferenceRounding.bf16(value(i)) << 16);
                    if (w.get(i) != want) {
                        throw new AssertionError(name + "[" + i + "] = " + w.get(i) + ", expected " + want);
                    }
                }
            }
        }
    }

    @Test
    void aFailureInALaterBatchLeavesNoFile() {
        long big = 3 * batchElements();
        Path f = dir.resolve("fail.safetensors");
        assertThatThrownBy(() -> SafetensorsWriter.writeSources(f, Map.of("x", function(big, 2 * batchElements() + 5)),
                Map.of("x", new long[]{big}), DType.F16, Map.of(), null)).hasMessageContaining("generator failed");
        assertThat(f).doesNotExist();
        assertThat(dir.toFile().list()).isEmpty();
    }
}
