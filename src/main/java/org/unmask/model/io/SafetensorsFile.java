package org.unmask.model.io;

import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A safetensors file mapped read-only as one memory segment (no 2 GB limit). Tensors are zero-copy views into the
 * mapping, valid until {@link #close()} unmaps it.
 */
public final class SafetensorsFile implements AutoCloseable {

    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final SafetensorsHeader header;
    private final Map<String, TensorInfo> tensors;

    private SafetensorsFile(Path file, Arena arena, MemorySegment data, SafetensorsHeader header) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.header = header;
        Map<String, TensorInfo> m = new LinkedHashMap<>();
        for (SafetensorsHeader.Entry e : header.entries().values()) {
            m.put(e.name(), new TensorInfo(e.name(), e.dtype(), e.shape(), file));
        }
        this.tensors = Collections.unmodifiableMap(m);
    }

    /** Maps {@code file} and validates its header: JSON structure, dtypes, and offsets against shapes and file size. */
    public static SafetensorsFile open(Path file) throws IOException {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        }
        if (!Files.isRegularFile(file)) throw new IOException(file + ": not a regular file");
        if (size < 8) {
            throw new IOException(file + ": truncated safetensors file (" + size
                    + " bytes; it must start with an 8-byte header length)");
        }
        // a shared arena lets sampler and kernel threads read the tensors; close() unmaps deterministically
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long n = all.get(I64_LE, 0);
            if (n < 0 || n > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw new IOException(file + ": header length " + Long.toUnsignedString(n)
                        + " is absurd (limit " + SafetensorsHeader.MAX_HEADER_BYTES + " bytes); not a safetensors file?");
            }
            if (n > size - 8) {
                throw new IOException(file + ": header length " + n + " is larger than the file (" + size
                        + " bytes); the file is truncated or not safetensors");
            }
            if (n < 2) throw new IOException(file + ": header length " + n + " is too small for a JSON object");
            byte[] headerBytes = all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = all.asSlice(8 + n);
            SafetensorsHeader header = SafetensorsHeader.parse(file, n, headerBytes, data.byteSize());
            return new SafetensorsFile(file, arena, data, header);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The file this was opened from. */
    public Path file() { return file; }

    /** Tensors by name, in header order. */
    public Map<String, TensorInfo> tensors() { return tensors; }

    /** The header's {@code __metadata__} strings. */
    public Map<String, String> metadata() { return Collections.unmodifiableMap(header.metadata()); }

    /** Zero-copy view of a float tensor (F32, BF16 or F16) inside the mapping. */
    public Weights weights(String name) {
        SafetensorsHeader.Entry e = entry(name);
        if (e.dtype() != DType.F32 && e.dtype() != DType.BF16 && e.dtype() != DType.F16) {
            throw new IllegalArgumentException(file + ": tensor '" + name + "': unsupported dtype for weights: "
                    + e.dtype() + " (expected F32, BF16 or F16)");
        }
        return Weights.mapped(data.asSlice(e.begin(), e.end() - e.begin()), e.dtype());
    }

    /** The raw bytes of a tensor as a read-only segment (for integer tensors). */
    public MemorySegment bytes(String name) {
        SafetensorsHeader.Entry e = entry(name);
        return data.asSlice(e.begin(), e.end() - e.begin()).asReadOnly();
    }

    /** Copies a float tensor into a new float32 array, converting BF16 and F16. */
    public float[] readF32(String name) {
        Weights w = weights(name);
        if (w.size() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(file + ": tensor '" + name + "' has " + w.size()
                    + " elements, too many for one float array");
        }
        float[] out = new float[(int) w.size()];
        w.toFloat(0, out, 0, out.length);
        return out;
    }

    private SafetensorsHeader.Entry entry(String name) {
        SafetensorsHeader.Entry e = header.entries().get(name);
        if (e == null) throw new IllegalArgumentException(file + ": no tensor named '" + name + "'");
        return e;
    }

    /** Unmaps the file; views obtained from it must no longer be used. */
    @Override public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
