package org.unmask.model.io;

import org.unmask.model.ModelConfig;
import org.unmask.model.ModelFamily;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model read from a GGUF file of the llada, dream or llada-moe architecture: the engine's config from the metadata,
 * and every tensor under its Hugging Face name as a zero-copy view of the mapped file (each LLaDA-MoE expert a slice of
 * its layer's stacked tensor). Only the Q and K projections of LLaDA are
 * copied (to undo the converter's row permutation, see {@link GgufLayout}); their copies live until {@link #close()}.
 */
final class GgufModel implements AutoCloseable {
    private final GgufFile file;
    private final Arena copies;
    private final ModelConfig config;
    private final Map<String, Weights> tensors;
    private final Map<String, TensorInfo> infos;

    private GgufModel(GgufFile file, Arena copies, ModelConfig config, Map<String, Weights> tensors, Map<String, TensorInfo> infos) {
        this.file = file;
        this.copies = copies;
        this.config = config;
        this.tensors = tensors;
        this.infos = infos;
    }

    static GgufModel open(Path path) throws IOException {
        GgufFile g = GgufFile.open(path);
        Arena copies = Arena.ofShared();
        try {
            String arch = g.string("general.architecture");
            ModelFamily family = GgufLayout.family(arch);
            if (family == null)
                throw new IOException(path + ": GGUF architecture '" + arch + "' is not supported (supported: "
                        + GgufLayout.ARCHITECTURES + ")");
            ModelConfig c = GgufLayout.config(g, arch, family);
            List<GgufLayout.Entry> entries;
            try {
                entries = GgufLayout.tensors(c);
            } catch (IllegalArgumentException e) {
                throw new IOException(path + ": " + e.getMessage(), e);
            }
            Set<String> known = new HashSet<>();
            for (GgufLayout.Entry e : entries) known.add(e.gguf());
            Map<String, long[]> shapes = org.unmask.model.ModelTensors.expectedShapes(c);
            for (String name : g.tensors().keySet()) {
                if (!known.contains(name) && !name.equals(GgufLayout.ROPE_FREQS))
                    throw new IOException(path + ": unexpected tensor '" + name + "' for the " + arch
                            + " model the metadata describe (" + c.nLayers() + " layers)");
            }
            Map<String, Weights> tensors = new LinkedHashMap<>();
            Map<String, TensorInfo> infos = new LinkedHashMap<>();
            for (GgufLayout.Entry e : entries) {
                String gg = e.gguf(), hf = e.hf().getFirst();
                GgufFile.Tensor t = g.tensors().get(gg);
                if (t == null) throw new IOException(path + ": missing tensor '" + gg + "' (" + hf + (e.stacked() ? ", ..." : "") + ")");
                long[] part = shapes.get(hf);
                long[] want = e.shape(part);
                if (!Arrays.equals(t.shape(), want))
                    throw new IOException(path + ": tensor '" + gg + "' has shape " + Arrays.toString(t.shape())
                            + " (ggml dims " + Arrays.toString(t.dims()) + "), expected " + Arrays.toString(want)
                            + " from the metadata");
                Weights w = g.weights(gg);
                if (!e.stacked()) {
                    if (GgufLayout.permutedHeads(arch, c, gg) > 0) w = unpermute(copies, g, t, c.headDim());
                    tensors.put(hf, w);
                    infos.put(hf, new TensorInfo(gg, t.dtype(), t.shape(), path));
                    continue;
                }
                // the experts are consecutive slices of the mapped tensor: nothing is copied
                long n = 1;
                for (long s : part) n *= s;
                for (int x = 0; x < e.hf().size(); x++) {
                    tensors.put(e.hf().get(x), w.slice(x * n, n));
                    infos.put(e.hf().get(x), new TensorInfo(gg + "[" + x + "]", t.dtype(), part, path));
                }
            }
            // in the family's checkpoint order (the converter stacks experts after the rest of their layer)
            Map<String, Weights> ordered = new LinkedHashMap<>();
            Map<String, TensorInfo> orderedInfos = new LinkedHashMap<>();
            for (String hf : shapes.keySet()) {
                ordered.put(hf, tensors.get(hf));
                orderedInfos.put(hf, infos.get(hf));
            }
            return new GgufModel(g, copies, c, ordered, orderedInfos);
        } catch (IOException | RuntimeException e) {
            copies.close();
            g.close();
            throw e;
        }
    }

    /**
     * A copy of a Q or K tensor with its rows back in Hugging Face order (rows are whole blocks, so bytes move). The
     * tensor is read from the file into a temporary buffer rather than through the mapping, so the mapped original
     * does not also become resident.
     */
    private static Weights unpermute(Arena arena, GgufFile g, GgufFile.Tensor t, int hd) throws IOException {
        long rows = t.dims().length == 1 ? t.dims()[0] : t.dims()[1];
        long rowBytes = t.dims().length == 1 ? t.dtype().byteSize(1) : t.dtype().byteSize(t.dims()[0]);
        if (t.dims().length == 1 && t.dtype().blocked())
            throw new IllegalArgumentException(t.name() + ": a permuted bias cannot be in block format " + t.dtype());
        MemorySegment dst = arena.allocate(t.byteSize(), 64);
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment src = temp.allocate(t.byteSize(), 64);
            g.readInto(t.name(), src);
            for (long r = 0; r < rows; r++)
                MemorySegment.copy(src, GgufLayout.ggufRow(r, hd) * rowBytes, dst, r * rowBytes, rowBytes);
        }
        return Weights.mapped(dst, t.dtype());
    }

    ModelConfig config() { return config; }

    Map<String, Weights> tensors() { return tensors; }

    /** Per Hugging Face name: the GGUF tensor's name, format and shape. */
    Map<String, TensorInfo> infos() { return infos; }

    /** The GGUF file (metadata, tokenizer). */
    GgufFile file() { return file; }

    @Override public void close() {
        copies.close();
        file.close();
    }

    /** Whether {@code path} is a GGUF file (by its first four bytes). */
    static boolean isGguf(Path path) {
        if (!java.nio.file.Files.isRegularFile(path)) return false;
        try (var in = java.nio.file.Files.newInputStream(path)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && b[0] == 'G' && b[1] == 'G' && b[2] == 'U' && b[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

}
