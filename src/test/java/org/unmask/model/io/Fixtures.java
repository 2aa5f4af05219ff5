package org.unmask.model.io;

import org.unmask.model.LladaTensors;
import org.unmask.model.ModelConfig;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Small models and hand-made files for the checkpoint tests. */
final class Fixtures {
    private Fixtures() {}

    /** A two-layer model small enough to write in milliseconds, with grouped-query attention. */
    static ModelConfig smallConfig() {
        return new ModelConfig(16, 2, 4, 2, 24, 40, 48, 32, 10000.0, 1e-5, false, 2, 0, 0, 1);
    }

    /** Random heap tensors with the checkpoint's names and sizes. */
    static Map<String, Weights> randomTensors(ModelConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Weights> m = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : LladaTensors.expectedShapes(c).entrySet()) {
            int n = 1;
            for (long s : e.getValue()) n *= (int) s;
            float[] a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * 0.5);
            m.put(e.getKey(), new Weights.F32(a, 0, n));
        }
        return m;
    }

    static float[] toArray(Weights w) {
        float[] a = new float[(int) w.size()];
        w.toFloat(0, a, 0, a.length);
        return a;
    }

    /** A safetensors file with the given declared header length, header text and data bytes. */
    static Path raw(Path file, long declaredLength, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(h);
        Files.write(file, b.array());
        return file;
    }

    /** A well-formed file: header length matches the header text. */
    static Path raw(Path file, String header, int dataBytes) throws IOException {
        return raw(file, header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }
}
