package org.unmask.model.io;

import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (version 3, as llama.cpp writes it) mapped read-only as one memory segment: the metadata key/values,
 * the tensor infos and zero-copy {@link Weights} views of the tensor data, valid until {@link #close()}.
 *
 * <p>Metadata values are read as Java objects: every integer type as {@link Long}, both float types as
 * {@link Double}, booleans, strings, and arrays as lists. Errors name the file and the key or tensor at fault.
 */
public final class GgufFile implements AutoCloseable {

    /** "GGUF" read as a little-endian uint32. */
    static final int MAGIC = 0x46554747;
    /** The alignment of tensor data when {@code general.alignment} is absent. */
    static final int DEFAULT_ALIGNMENT = 32;

    /** A tensor's entry: ggml dims (innermost first), storage format, and byte range in the data section. */
    public record Tensor(String name, long[] dims, DType dtype, long offset, long byteSize) {
        /** Number of elements. */
        public long elements() {
            long n = 1;
            for (long d : dims) n = Math.multiplyExact(n, d);
            return n;
        }

        /** The shape outermost first, as safetensors and PyTorch write it (ggml's dims reversed). */
        public long[] shape() {
            long[] s = new long[dims.length];
            for (int i = 0; i < dims.length; i++) s[i] = dims[dims.length - 1 - i];
            return s;
        }
    }

    private final Path file;
    private final Arena arena;
    private final Map<String, Object> metadata;
    private final Map<String, Tensor> tensors;
    private final MemorySegment base;   // the whole mapping
    private final MemorySegment data;
    private final int alignment;

    private GgufFile(Path file, Arena arena, Map<String, Object> metadata, Map<String, Tensor> tensors,
                     MemorySegment base, MemorySegment data, int alignment) {
        this.base = base;
        this.file = file;
        this.arena = arena;
        this.metadata = metadata;
        this.tensors = tensors;
        this.data = data;
        this.alignment = alignment;
    }

    /** Maps {@code file} and parses its header; every tensor's range is checked against the file's size. */
    public static GgufFile open(Path file) throws IOException {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        }
        if (!Files.isRegularFile(file)) throw new IOException(file + ": not a regular file");
        Arena arena = Arena.ofShared();   // shared: the kernels' worker threads read the tensors
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Reader r = new Reader(file, all);
            int magic = r.u32("the magic number");
            if (magic != MAGIC) throw new IOException(file + ": not a GGUF file (it does not start with \"GGUF\")");
            int version = r.u32("the version");
            if (version != 3) throw new IOException(file + ": GGUF version " + version + " is not supported (only version 3)");
            long nTensors = r.count("the tensor count");
            long nKv = r.count("the metadata count");
            Map<String, Object> meta = new LinkedHashMap<>();
            for (long i = 0; i < nKv; i++) {
                String key = r.string("metadata key " + i);
                int type = r.u32("the type of '" + key + "'");
                if (meta.containsKey(key)) throw new IOException(file + ": metadata key '" + key + "' appears twice");
                meta.put(key, r.value(type, key));
            }
            int alignment = DEFAULT_ALIGNMENT;
            if (meta.containsKey("general.alignment")) {
                Object a = meta.get("general.alignment");
                if (!(a instanceof Long l) || l <= 0 || Long.bitCount(l) != 1 || l > (1 << 20))
                    throw new IOException(file + ": metadata 'general.alignment' = " + a + " is not a power of two");
                alignment = (int) (long) l;
            }
            List<Tensor> infos = new ArrayList<>();
            for (long i = 0; i < nTensors; i++) {
                String name = r.string("the name of tensor " + i);
                int nDims = r.u32("the dimension count of tensor '" + name + "'");
                if (nDims < 1 || nDims > 4) throw new IOException(file + ": tensor '" + name + "' has " + nDims + " dimensions (1 to 4 allowed)");
                long[] dims = new long[nDims];
                for (int d = 0; d < nDims; d++) {
                    dims[d] = r.i64("a dimension of tensor '" + name + "'");
                    if (dims[d] <= 0) throw new IOException(file + ": tensor '" + name + "' has dimension " + dims[d]);
                }
                int type = r.u32("the type of tensor '" + name + "'");
                DType dtype = GgmlType.dtype(type);
                if (dtype == null)
                    throw new IOException(file + ": tensor '" + name + "' has type " + GgmlType.name(type)
                            + ", which Unmask does not read (supported: " + GgmlType.READ + ")");
                long offset = r.i64("the offset of tensor '" + name + "'");
                if (offset < 0 || offset % alignment != 0)
                    throw new IOException(file + ": tensor '" + name + "' starts at offset " + offset
                            + ", which is not a multiple of the alignment " + alignment);
                if (dims[0] % dtype.blockSize != 0)
                    throw new IOException(file + ": tensor '" + name + "' has rows of " + dims[0] + " elements, not whole "
                            + dtype + " blocks of " + dtype.blockSize);
                long elements;
                try {
                    elements = 1;
                    for (long d : dims) elements = Math.multiplyExact(elements, d);
                } catch (ArithmeticException e) {
                    throw new IOException(file + ": tensor '" + name + "' has an absurd shape");
                }
                infos.add(new Tensor(name, dims, dtype, offset, dtype.byteSize(elements)));
            }
            long dataStart = align(r.position(), alignment);
            Map<String, Tensor> byName = new LinkedHashMap<>();
            for (Tensor t : infos) {
                if (byName.put(t.name(), t) != null) throw new IOException(file + ": tensor '" + t.name() + "' appears twice");
                if (dataStart + t.offset() + t.byteSize() > size)
                    throw new IOException(file + ": tensor '" + t.name() + "' ends at byte " + (dataStart + t.offset() + t.byteSize())
                            + ", past the end of the file (" + size + " bytes): the file is truncated");
            }
            MemorySegment data = all.asSlice(Math.min(dataStart, size));
            return new GgufFile(file, arena, Collections.unmodifiableMap(meta), Collections.unmodifiableMap(byName), all, data, alignment);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    static long align(long x, int alignment) { return (x + alignment - 1) / alignment * alignment; }

    /** The file this was opened from. */
    public Path file() { return file; }

    /** Every metadata key/value in file order. */
    public Map<String, Object> metadata() { return metadata; }

    /** Tensor entries by name in file order. */
    public Map<String, Tensor> tensors() { return tensors; }

    /** The data alignment. */
    public int alignment() { return alignment; }

    /** A zero-copy view of a tensor's data; errors name the file and the tensor. */
    public Weights weights(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(file + ": no tensor '" + name + "'");
        return Weights.mapped(data.asSlice(t.offset(), t.byteSize()), t.dtype());
    }

    /**
     * Copies a tensor's bytes into {@code dst} with file reads rather than through the mapping, so that the mapped
     * pages stay untouched and do not count in the process's resident memory (the reads go through the page cache,
     * which the kernel can drop).
     */
    public void readInto(String name, MemorySegment dst) throws IOException {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(file + ": no tensor '" + name + "'");
        if (dst.byteSize() != t.byteSize()) throw new IllegalArgumentException(name + ": " + t.byteSize() + " bytes, not " + dst.byteSize());
        long start = data.address() - base.address() + t.offset();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long done = 0; done < t.byteSize(); ) {
                int n = (int) Math.min(1 << 26, t.byteSize() - done);
                java.nio.ByteBuffer buf = dst.asSlice(done, n).asByteBuffer();
                while (buf.hasRemaining()) {
                    if (ch.read(buf, start + done + buf.position()) < 0)
                        throw new IOException(file + ": tensor '" + name + "' is cut short (the file shrank?)");
                }
                done += n;
            }
        }
    }

    /** The raw bytes of a tensor. */
    public MemorySegment bytes(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(file + ": no tensor '" + name + "'");
        return data.asSlice(t.offset(), t.byteSize()).asReadOnly();
    }

    // ---- typed metadata ----

    /** A required string value. */
    public String string(String key) throws IOException { return required(key, String.class, "a string"); }

    /** A string value, or null when absent. */
    public String optString(String key) throws IOException { return optional(key, String.class, "a string"); }

    /** A required integer within 32 bits. */
    public int integer(String key) throws IOException {
        Integer v = optInteger(key);
        if (v == null) throw new IOException(file + ": missing metadata '" + key + "'");
        return v;
    }

    /** An integer within 32 bits, or null when absent. */
    public Integer optInteger(String key) throws IOException {
        Long v = optional(key, Long.class, "an integer");
        if (v == null) return null;
        if (v != (int) (long) v) throw new IOException(file + ": metadata '" + key + "' = " + v + " is beyond 32 bits");
        return (int) (long) v;
    }

    /** A number (float or integer), or null when absent. */
    public Double optReal(String key) throws IOException {
        Object v = metadata.get(key);
        if (v == null) return null;
        if (v instanceof Double d) return d;
        if (v instanceof Long l) return (double) l;
        throw new IOException(file + ": metadata '" + key + "' must be a number, got " + describe(v));
    }

    /** A boolean, or null when absent. */
    public Boolean optBool(String key) throws IOException { return optional(key, Boolean.class, "a boolean"); }

    /** An array whose elements are all of {@code element} ({@code what} names it in the error), or null when absent. */
    @SuppressWarnings("unchecked")
    public <T> List<T> optArray(String key, Class<T> element, String what) throws IOException {
        List<Object> v = optional(key, List.class, "an array of " + what);
        if (v == null) return null;
        for (int i = 0; i < v.size(); i++)
            if (!element.isInstance(v.get(i)))
                throw new IOException(file + ": metadata '" + key + "' must be an array of " + what + ", but element " + i
                        + " is " + describe(v.get(i)));
        return (List<T>) v;
    }

    private <T> T required(String key, Class<T> type, String what) throws IOException {
        T v = optional(key, type, what);
        if (v == null) throw new IOException(file + ": missing metadata '" + key + "'");
        return v;
    }

    private <T> T optional(String key, Class<T> type, String what) throws IOException {
        Object v = metadata.get(key);
        if (v == null) return null;
        if (!type.isInstance(v)) throw new IOException(file + ": metadata '" + key + "' must be " + what + ", got " + describe(v));
        return type.cast(v);
    }

    private static String describe(Object v) {
        if (v instanceof List<?> l) return "an array of " + l.size();
        String s = String.valueOf(v);
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    /** Unmaps the file; the weights must no longer be used. */
    @Override public void close() { arena.close(); }

    /** A cursor over the header with bounds checks that report a truncated file. */
    private static final class Reader {
        private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final Path file;
        private final MemorySegment seg;
        private long pos;

        Reader(Path file, MemorySegment seg) { this.file = file; this.seg = seg; }

        long position() { return pos; }

        private void need(long n, String what) throws IOException {
            if (n < 0 || pos + n > seg.byteSize())
                throw new IOException(file + ": truncated GGUF header: the file ends inside " + what
                        + " (at byte " + pos + " of " + seg.byteSize() + ")");
        }

        int u32(String what) throws IOException { need(4, what); int v = seg.get(U32, pos); pos += 4; return v; }

        long i64(String what) throws IOException { need(8, what); long v = seg.get(U64, pos); pos += 8; return v; }

        long count(String what) throws IOException {
            long n = i64(what);
            // every entry takes at least 8 bytes, so a count beyond the file's size is garbage, not a huge file
            if (n < 0 || n > seg.byteSize() / 8) throw new IOException(file + ": " + what + " " + Long.toUnsignedString(n) + " is absurd for a file of " + seg.byteSize() + " bytes");
            return n;
        }

        String string(String what) throws IOException {
            long n = i64("the length of " + what);
            need(n, what);
            byte[] b = seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
            pos += n;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                // llama.cpp's vocabularies hold byte tokens that are not UTF-8 on their own: keep them byte for byte
                return new String(b, StandardCharsets.ISO_8859_1);
            }
        }

        Object value(int type, String key) throws IOException {
            String what = "the value of '" + key + "'";
            return switch (type) {
                case 0 -> { need(1, what); yield (long) (seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF); }
                case 1 -> { need(1, what); yield (long) seg.get(ValueLayout.JAVA_BYTE, pos++); }
                case 2 -> { need(2, what); long v = seg.get(U16, pos) & 0xFFFF; pos += 2; yield v; }
                case 3 -> { need(2, what); long v = seg.get(U16, pos); pos += 2; yield v; }
                case 4 -> (long) u32(what) & 0xFFFFFFFFL;
                case 5 -> (long) u32(what);
                // a float32 as its shortest decimal (1e-5, not 9.99999974e-6): what the writer meant
                case 6 -> { need(4, what); double v = Double.parseDouble(Float.toString(seg.get(F32, pos))); pos += 4; yield v; }
                case 7 -> { need(1, what); yield seg.get(ValueLayout.JAVA_BYTE, pos++) != 0; }
                case 8 -> string(what);
                case 9 -> {
                    int elemType = u32("the element type of '" + key + "'");
                    if (elemType == 9) throw new IOException(file + ": metadata '" + key + "' is an array of arrays, which GGUF readers do not support");
                    long n = count("the length of '" + key + "'");
                    List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 20));
                    for (long i = 0; i < n; i++) list.add(value(elemType, key));
                    yield Collections.unmodifiableList(list);
                }
                case 10, 11 -> i64(what);
                case 12 -> { need(8, what); double v = seg.get(F64, pos); pos += 8; yield v; }
                default -> throw new IOException(file + ": metadata '" + key + "' has unknown value type " + type);
            };
        }
    }
}
