package org.unmask.model.io;

import org.unmask.files.AtomicFile;
import org.unmask.model.tensor.DType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF version 3 file: metadata key/values, tensor infos, then each tensor's data at the next multiple of
 * the alignment (32). Tensor data are produced one tensor at a time straight into the memory-mapped output, so a
 * model larger than memory can be written. The file is written atomically ({@link AtomicFile}) and its header is
 * read back before it replaces the target.
 */
final class GgufWriter {

    /** Fills a tensor's bytes, exactly {@code dst.byteSize()} of them. */
    @FunctionalInterface
    interface Data { void write(MemorySegment dst) throws IOException; }

    private record Entry(String name, long[] dims, DType dtype, Data data) {}

    private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
    private final Map<String, Boolean> keys = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();

    // value types of the GGUF specification
    private static final int U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9;

    private void key(String key, int type) {
        if (keys.put(key, true) != null) throw new IllegalArgumentException("metadata key '" + key + "' written twice");
        str(kv, key);
        i32(kv, type);
    }

    void putU32(String key, int v) { key(key, U32); i32(kv, v); }

    void putI32(String key, int v) { key(key, I32); i32(kv, v); }

    void putF32(String key, float v) { key(key, F32); i32(kv, Float.floatToRawIntBits(v)); }

    void putBool(String key, boolean v) { key(key, BOOL); kv.write(v ? 1 : 0); }

    void putString(String key, String v) { key(key, STRING); str(kv, v); }

    void putStrings(String key, List<String> v) {
        key(key, ARRAY);
        i32(kv, STRING);
        i64(kv, v.size());
        for (String s : v) str(kv, s);
    }

    void putI32s(String key, int[] v) {
        key(key, ARRAY);
        i32(kv, I32);
        i64(kv, v.length);
        for (int x : v) i32(kv, x);
    }

    void putF32s(String key, float[] v) {
        key(key, ARRAY);
        i32(kv, F32);
        i64(kv, v.length);
        for (float x : v) i32(kv, Float.floatToRawIntBits(x));
    }

    /** Adds a tensor of shape {@code shape} (outermost first, as in PyTorch) in {@code dtype}. */
    void addTensor(String name, long[] shape, DType dtype, Data data) {
        long[] dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) dims[i] = shape[shape.length - 1 - i];
        tensors.add(new Entry(name, dims, dtype, data));
    }

    /** Writes the file atomically and checks that its header reads back with every tensor. */
    void write(Path target) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        i32(head, GgufFile.MAGIC);
        i32(head, 3);
        i64(head, tensors.size());
        i64(head, keys.size());
        head.writeBytes(kv.toByteArray());
        long[] offsets = new long[tensors.size()];
        long dataSize = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Entry t = tensors.get(i);
            str(head, t.name());
            i32(head, t.dims().length);
            for (long d : t.dims()) i64(head, d);
            i32(head, GgmlType.id(t.dtype()));
            dataSize = GgufFile.align(dataSize, GgufFile.DEFAULT_ALIGNMENT);
            offsets[i] = dataSize;
            i64(head, dataSize);
            dataSize += bytes(t);
        }
        byte[] header = head.toByteArray();
        long dataStart = GgufFile.align(header.length, GgufFile.DEFAULT_ALIGNMENT);
        long total = dataStart + GgufFile.align(dataSize, GgufFile.DEFAULT_ALIGNMENT);
        AtomicFile.write(target, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE);
                 Arena arena = Arena.ofShared()) {   // shared: the worker pool fills tensors in parallel
                ch.write(ByteBuffer.wrap(header), 0);
                ch.truncate(total);
                if (total > header.length) ch.write(ByteBuffer.wrap(new byte[]{0}), total - 1);   // full length, zero padded
                MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
                for (int i = 0; i < tensors.size(); i++) {
                    Entry t = tensors.get(i);
                    t.data().write(out.asSlice(dataStart + offsets[i], bytes(t)));
                }
                out.force();
            }
            verify(tmp);
        });
    }

    /** Reads the written header back: every tensor and key must be there with its type and shape. */
    private void verify(Path tmp) throws IOException {
        try (GgufFile g = GgufFile.open(tmp)) {
            if (g.tensors().size() != tensors.size() || g.metadata().size() != keys.size())
                throw new IOException(tmp + ": the written GGUF reads back with " + g.tensors().size() + " tensors and "
                        + g.metadata().size() + " keys instead of " + tensors.size() + " and " + keys.size());
            for (Entry t : tensors) {
                GgufFile.Tensor r = g.tensors().get(t.name());
                if (r == null || r.dtype() != t.dtype() || !java.util.Arrays.equals(r.dims(), t.dims()))
                    throw new IOException(tmp + ": tensor '" + t.name() + "' does not read back as written");
            }
        }
    }

    private static long bytes(Entry t) {
        long n = 1;
        for (long d : t.dims()) n = Math.multiplyExact(n, d);
        return t.dtype().byteSize(n);
    }

    private static void i32(ByteArrayOutputStream o, int v) {
        o.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    private static void i64(ByteArrayOutputStream o, long v) {
        o.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    private static void str(ByteArrayOutputStream o, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i64(o, b.length);
        o.writeBytes(b);
    }
}
