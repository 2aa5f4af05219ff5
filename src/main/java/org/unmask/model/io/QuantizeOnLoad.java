package org.unmask.model.io;

import org.unmask.compute.Parallel;
import org.unmask.model.ModelConfig;
import org.unmask.model.TensorSpec;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Quantizer;
import org.unmask.model.tensor.Weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Quantizes a loaded checkpoint's matrices to a ggml block format (Q8_0, Q4_0 or a K-quant) in native memory, tensor by tensor as the mapped weights
 * are read, so that a model whose bf16 weights do not fit in RAM (LLaDA 2.x mini: 32 GB) runs from a copy about a
 * quarter (Q4_0) or half (Q8_0) that size. Rounding is {@link Quantizer}'s, the same bytes {@code unmask quantize}
 * writes. Norms, biases and the MoE routers ({@code mlp.gate.weight}: routing flips on near-ties) are copied to
 * float32 on the heap (they are small), so that nothing refers to the checkpoint's mapping afterwards and it can be
 * closed: its pages then no longer count as the process's memory.
 */
public final class QuantizeOnLoad {
    private QuantizeOnLoad() {}

    /**
     * The tensors with every matrix whose rows are whole blocks of 32 replaced by a {@code type} copy (Q8_0 for a
     * K-quant whose rows are not whole super-blocks of 256, as {@code unmask quantize} falls back) and every other
     * tensor by a float32 copy; tensors already in a block format (a GGUF file's) are kept as they are.
     */
    public static Map<String, Weights> apply(ModelConfig config, Map<String, Weights> tensors, DType type) {
        if (!type.blocked())
            throw new IllegalArgumentException("weights can be quantized on load to q8_0, q4_0, q4_k, q5_k or q6_k, not " + type);
        Map<String, TensorSpec> specs = config.family().tensors(config);
        Map<String, Weights> out = new LinkedHashMap<>();
        for (Map.Entry<String, Weights> e : tensors.entrySet()) {
            TensorSpec spec = specs.get(e.getKey());
            boolean matrix = spec != null && spec.shape().length == 2 && spec.shape()[1] % 32 == 0
                    && !e.getKey().endsWith("mlp.gate.weight") && !(e.getValue() instanceof Weights.Quantized);
            Weights w = e.getValue();
            DType t = spec != null && spec.shape().length == 2 && spec.shape()[1] % type.blockSize != 0 ? DType.Q8_0 : type;
            out.put(e.getKey(), matrix ? quantize(w, spec.shape()[0], (int) spec.shape()[1], t)
                    : w instanceof Weights.Quantized ? w : copy(w));
        }
        return out;
    }

    private static Weights copy(Weights w) {
        float[] f = new float[Math.toIntExact(w.size())];
        w.toFloat(0, f, 0, f.length);
        return new Weights.F32(f, 0, f.length);
    }

    /** One matrix of {@code rows × cols}, quantized row by row on the worker threads into memory that lives as long as the process. */
    private static Weights quantize(Weights w, long rows, int cols, DType type) {
        long rowBytes = type.byteSize(cols);
        MemorySegment dst = Arena.global().allocate(rows * rowBytes, 32);
        Parallel.forRange(Math.toIntExact(rows), 64, (r0, r1) -> {
            float[] row = new float[cols];
            for (int r = r0; r < r1; r++) {
                w.toFloat((long) r * cols, row, 0, cols);
                Quantizer.quantize(type, row, 0, cols, dst, r * rowBytes);
            }
        });
        return Weights.mapped(dst, type);
    }
}
