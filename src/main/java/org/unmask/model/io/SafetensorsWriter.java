package org.unmask.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.unmask.files.AtomicFile;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * Writes safetensors files: header padded with spaces to a multiple of 8 bytes, tensors sorted by name, data streamed
 * chunk by chunk (so a file may be far larger than memory), written to a temp file, fsynced and renamed into place
 * ({@link AtomicFile}).
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /** Elements converted per work item; also the unit in which sources are asked for data. */
    static final int CHUNK = TensorStreamer.CHUNK;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Writes one file atomically (temp + rename). Each tensor is converted from its Weights to dtype. */
    public static void write(Path file, Map<String, Weights> tensors, Map<String, long[]> shapes, DType dtype,
                             Map<String, String> metadata) throws IOException {
        Map<String, TensorSource> sources = new LinkedHashMap<>();
        tensors.forEach((k, w) -> sources.put(k, TensorSource.of(w)));
        writeSources(file, sources, shapes, dtype, metadata, null);
    }

    /** Convenience: F32 tensors from float arrays. */
    public static void writeF32(Path file, Map<String, float[]> tensors, Map<String, long[]> shapes) throws IOException {
        Map<String, Weights> w = new LinkedHashMap<>();
        tensors.forEach((k, a) -> w.put(k, new Weights.F32(a, 0, a.length)));
        write(file, w, shapes, DType.F32, Map.of("format", "pt"));
    }

    /** Bytes the data section of {@code count} elements of {@code dtype} takes. */
    static long dataBytes(long count, DType dtype) { return count * dtype.bytes; }

    /**
     * Writes one file atomically from streamed sources; {@code progress} (may be null) receives the number of data
     * bytes written after each batch.
     */
    public static void writeSources(Path file, Map<String, TensorSource> tensors, Map<String, long[]> shapes,
                                    DType dtype, Map<String, String> metadata, LongConsumer progress)
            throws IOException {
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("can only write weights as F32, BF16 or F16, not " + dtype);
        }
        // the reference library orders tensors by name as well, which keeps files byte-identical across runs
        TreeMap<String, TensorSource> sorted = new TreeMap<>(tensors);
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", new TreeMap<>(metadata));
        List<String> names = new ArrayList<>(sorted.keySet());
        long offset = 0;
        for (String name : names) {
            long[] shape = shapes.get(name);
            if (shape == null) throw new IllegalArgumentException(file + ": no shape given for tensor '" + name + "'");
            long count = 1;
            for (long s : shape) {
                if (s < 0) throw new IllegalArgumentException(file + ": tensor '" + name + "' has a negative dimension");
                count = Math.multiplyExact(count, s);
            }
            long have = sorted.get(name).size();
            if (have != count) {
                throw new IllegalArgumentException(file + ": tensor '" + name + "' has " + have
                        + " elements but shape " + Arrays.toString(shape) + " needs " + count);
            }
            long end = offset + dataBytes(count, dtype);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", dtype.name());
            e.put("shape", shape);
            e.put("data_offsets", new long[]{offset, end});
            header.put(name, e);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();

        try (AtomicFile staged = AtomicFile.stage(file)) {
            try (FileChannel ch = FileChannel.open(staged.temp(), StandardOpenOption.WRITE);
                 Arena arena = Arena.ofShared();
                 TensorStreamer streamer = new TensorStreamer(ch, arena, dtype, progress)) {
                while (head.hasRemaining()) ch.write(head);
                for (String name : names) streamer.append(sorted.get(name));
                streamer.finish();
            }
            staged.commit();
        } catch (IOException e) {
            // channel errors such as a full disk do not say which file they were writing
            throw new IOException("writing " + file + ": " + e.getMessage(), e);
        }
    }

}
