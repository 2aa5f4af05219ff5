package org.unmask.model.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsRoundTripTest {

    @TempDir Path dir;

    @Test
    void f32IsStoredBitExactAsLittleEndianAfterASpacePaddedHeader() throws IOException {
        float[] values = ReferenceRounding.trickyValues(1, 300);
        Path f = dir.resolve("a.safetensors");
        SafetensorsWriter.writeF32(f, Map.of("w", values), Map.of("w", new long[]{values.length}));

        byte[] bytes = Files.readAllBytes(f);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong(0);
        assertThat(n % 8).isZero();
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{").contains("\"__metadata__\":{\"format\":\"pt\"}");
        assertThat(header.stripTrailing()).endsWith("}");
        assertThat(bytes.length).isEqualTo(8 + n + 4L * values.length);
        for (int i = 0; i < values.length; i++) {
            assertThat(b.getInt((int) (8 + n + 4L * i))).isEqualTo(Float.floatToRawIntBits(values[i]));
        }
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.tensors().get("w").dtype()).isEqualTo(DType.F32);
            float[] back = sf.readF32("w");
            for (int i = 0; i < values.length; i++) {
                assertThat(Float.floatToRawIntBits(back[i])).isEqualTo(Float.floatToRawIntBits(values[i]));
            }
            assertThat(sf.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void bf16RoundsToNearestEvenLikeTheReference() throws IOException {
        float[] values = ReferenceRounding.trickyValues(2, 20_000);
        short[] stored = writeAndReadRaw(values, DType.BF16);
        for (int i = 0; i < values.length; i++) {
            int expected = ReferenceRounding.bf16(values[i]);
            int got = stored[i] & 0xffff;
            if (expected < 0) {
                assertThat(Float.isNaN(Float.intBitsToFloat(got << 16))).as("NaN stays NaN").isTrue();
            } else {
                assertThat(got).as("bf16 of %s (bits %08x)", values[i], Float.floatToRawIntBits(values[i]))
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void f16RoundsToNearestEvenLikeTheReference() throws IOException {
        float[] values = ReferenceRounding.trickyValues(3, 20_000);
        short[] stored = writeAndReadRaw(values, DType.F16);
        for (int i = 0; i < values.length; i++) {
            int expected = ReferenceRounding.f16(values[i]);
            int got = stored[i] & 0xffff;
            if (expected < 0) {
                assertThat(Float.isNaN(Float.float16ToFloat((short) got))).as("NaN stays NaN").isTrue();
            } else {
                assertThat(got).as("f16 of %s (bits %08x)", values[i], Float.floatToRawIntBits(values[i]))
                        .isEqualTo(expected);
            }
        }
    }

    /** Writes values in dtype, checks the reader's float view decodes the stored bits, returns the raw bits. */
    private short[] writeAndReadRaw(float[] values, DType dtype) throws IOException {
        Path f = dir.resolve(dtype + ".safetensors");
        SafetensorsWriter.write(f, Map.of("x", new Weights.F32(values, 0, values.length)),
                Map.of("x", new long[]{values.length}), dtype, Map.of());
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            short[] raw = new short[values.length];
            var seg = sf.bytes("x");
            for (int i = 0; i < raw.length; i++) raw[i] = seg.get(Weights.I16_LE, 2L * i);
            float[] decoded = sf.readF32("x");
            for (int i = 0; i < raw.length; i++) {
                float want = dtype == DType.BF16 ? Float.intBitsToFloat((raw[i] & 0xffff) << 16)
                        : Float.float16ToFloat(raw[i]);
                assertThat(Float.floatToIntBits(decoded[i])).isEqualTo(Float.floatToIntBits(want));
            }
            assertThat(sf.weights("x").dtype()).isEqualTo(dtype);
            return raw;
        }
    }

    @Test
    void tensorsAreOrderedByNameAndOutputIsByteIdentical() throws IOException {
        Map<String, float[]> t = new LinkedHashMap<>();
        t.put("zeta", new float[]{1, 2, 3, 4, 5, 6});
        t.put("alpha", new float[]{7});
        t.put("mid", new float[0]);
        t.put("scalar", new float[]{9});
        Map<String, long[]> shapes = Map.of("zeta", new long[]{2, 3}, "alpha", new long[]{1},
                "mid", new long[]{0, 4}, "scalar", new long[]{});
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors");
        SafetensorsWriter.writeF32(a, t, shapes);
        Map<String, float[]> reversed = new LinkedHashMap<>();
        List.of("scalar", "mid", "alpha", "zeta").forEach(k -> reversed.put(k, t.get(k)));
        SafetensorsWriter.writeF32(b, reversed, shapes);
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
        try (SafetensorsFile sf = SafetensorsFile.open(a)) {
            assertThat(sf.tensors().keySet()).containsExactly("alpha", "mid", "scalar", "zeta");
            assertThat(sf.tensors().get("zeta").shape()).containsExactly(2, 3);
            assertThat(sf.tensors().get("scalar").shape()).isEmpty();
            assertThat(sf.readF32("zeta")).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(sf.readF32("mid")).isEmpty();
            assertThat(sf.readF32("scalar")).containsExactly(9);
        }
        assertThat(Files.list(dir).map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                "a.safetensors", "b.safetensors");
    }

    @Test
    void writerRejectsASizeThatDisagreesWithTheShape() {
        Path f = dir.resolve("bad.safetensors");
        assertThatThrownBy(() -> SafetensorsWriter.writeF32(f, Map.of("w", new float[5]), Map.of("w", new long[]{2, 3})))
                .hasMessageContaining("'w'").hasMessageContaining("5 elements").hasMessageContaining("needs 6");
        assertThat(f).doesNotExist();
    }

    @Test
    void aFailingSourceLeavesNoFileAndKeepsThePreviousOne() throws IOException {
        Path f = dir.resolve("keep.safetensors");
        SafetensorsWriter.writeF32(f, Map.of("w", new float[]{1, 2}), Map.of("w", new long[]{2}));
        byte[] before = Files.readAllBytes(f);
        TensorSource failing = new TensorSource() {
            public long size() { return 3 * SafetensorsWriter.CHUNK; }
            public void read(long offset, float[] dst, int dstOffset, int n) {
                if (offset > 0) throw new IllegalStateException("source broke at " + offset);
            }
        };
        assertThatThrownBy(() -> SafetensorsWriter.writeSources(f, Map.of("w", failing),
                Map.of("w", new long[]{3L * SafetensorsWriter.CHUNK}), DType.F32, Map.of(), null))
                .hasMessageContaining("source broke");
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        assertThat(Files.list(dir)).hasSize(1);
    }

    @Test
    void readsATensorBeyondTheTwoGigabyteMarkOfASparseFile() throws IOException {
        // the tensor sits past 2^31 bytes of data; setLength makes a sparse file so no real disk is used
        long begin = (1L << 31) + 1000;
        String header = "{\"far\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[" + begin + "," + (begin + 8)
                + "]},\"near\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path f = dir.resolve("sparse.safetensors");
        long dataStart = 8 + h.length;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(dataStart + begin + 8);
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            raf.write(b.putLong(0, h.length).array());
            raf.write(h);
            raf.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 2.5f).array());
            raf.seek(dataStart + begin);
            ByteBuffer t = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : new float[]{1f, -2f, 0.5f, 3f}) t.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
            raf.write(t.array());
        }
        assertThat(Files.size(f)).isGreaterThan(1L << 31);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.readF32("far")).containsExactly(1f, -2f, 0.5f, 3f);
            assertThat(sf.weights("far").get(3)).isEqualTo(3f);
            assertThat(sf.readF32("near")).containsExactly(2.5f);
        }
    }

    @Test
    void viewsAreUnusableAfterClose() throws IOException {
        Path f = dir.resolve("c.safetensors");
        SafetensorsWriter.writeF32(f, Map.of("w", new float[]{1, 2}), Map.of("w", new long[]{2}));
        SafetensorsFile sf = SafetensorsFile.open(f);
        Weights w = sf.weights("w");
        assertThat(w.get(1)).isEqualTo(2f);
        sf.close();
        sf.close();
        assertThatThrownBy(() -> w.get(0)).isInstanceOf(IllegalStateException.class);
    }
}
