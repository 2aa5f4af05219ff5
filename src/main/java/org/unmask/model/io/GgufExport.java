package org.unmask.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.unmask.compute.Parallel;
import org.unmask.model.GenerationDefaults;
import org.unmask.model.LlamaFamily;
import org.unmask.model.ModelConfig;
import org.unmask.model.ModelTensors;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Quantizer;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes a model directory as a GGUF file the way llama.cpp's converter and {@code llama-quantize} lay it out:
 * architecture and hyperparameter keys, the tokenizer of tokenizer.json, tensors under llama.cpp's names with LLaDA's
 * Q and K rows permuted and LLaDA-MoE's experts stacked into one tensor per layer and projection, norms, other 1-D
 * tensors and mixture routers in F32, matrices in the chosen type. Tensors are read from the
 * mapped checkpoint and written one at a time, so an 8B model needs memory for one row per worker only.
 *
 * <p>Each tensor's type follows llama-quantize's rules ({@link #storage}).
 */
public final class GgufExport {
    private GgufExport() {}

    /** Summary of a written file. */
    public record Written(Path file, String architecture, long bytes, Map<DType, Integer> tensorsByType, boolean tokenizer) {}

    /** Writes the model of {@code modelDir} as {@code out} of file type {@code type}; {@code onTensor} sees each GGUF name. */
    public static Written write(Path modelDir, GgufFileType type, Path out, Consumer<String> onTensor) throws IOException {
        return write(modelDir, type, null, out, onTensor);
    }

    /**
     * The same with the tokenizer of {@code tokenizerJson} (null: the model directory's tokenizer.json, if any), which
     * llama.cpp needs to load the file.
     */
    public static Written write(Path modelDir, GgufFileType type, Path tokenizerJson, Path out, Consumer<String> onTensor)
            throws IOException {
        return write(modelDir, type, tokenizerJson, out, onTensor, false);
    }

    /**
     * The same for an autoregressive run when {@code autoregressiveRun} (its LLaDA-layout weights trained under causal
     * attention), written as GGUF's {@code llama} architecture, which llama.cpp runs left to right.
     */
    public static Written write(Path modelDir, GgufFileType type, Path tokenizerJson, Path out, Consumer<String> onTensor,
                                boolean autoregressiveRun) throws IOException {
        if (tokenizerJson != null && !Files.isRegularFile(tokenizerJson))
            throw new java.nio.file.NoSuchFileException(tokenizerJson + " (the --tokenizer to embed) does not exist");
        try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
            ModelConfig c = autoregressiveRun ? LlamaFamily.ofAutoregressiveRun(ckpt.config()) : ckpt.config();
            Map<String, Weights> tensors = ModelTensors.renamed(ckpt.tensors(), ckpt.config(), c.family());
            String arch = GgufLayout.arch(c.family());
            GgufLayout.checkLlamaCppRuns(c);
            List<GgufLayout.Entry> entries = GgufLayout.tensors(c);
            GgufWriter w = new GgufWriter();
            w.putString("general.architecture", arch);
            w.putString("general.name", modelDir.toAbsolutePath().normalize().getFileName().toString());
            w.putU32("general.file_type", type.llamaFtype);
            w.putU32("general.quantization_version", 2);
            GgufLayout.writeConfig(w, arch, c);
            Path tokFile = tokenizerJson != null ? tokenizerJson
                    : Files.isDirectory(modelDir) ? modelDir.resolve("tokenizer.json") : modelDir.resolveSibling("tokenizer.json");
            boolean tok = false;
            if (Files.isRegularFile(tokFile)) {
                JsonNode json = new ObjectMapper().readTree(tokFile.toFile());
                try {
                    tok = GgufTokenizer.write(w, json, c.embeddingSize(), c.bosTokenIdOrNull() != null);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(tokFile + ": " + e.getMessage());
                }
            }
            if (!tok) w.putString("tokenizer.ggml.model", "none");
            // the chat template travels in the file, as llama.cpp's converter writes it (a GGUF source keeps its own)
            java.util.Optional<String> template = Files.isDirectory(modelDir)
                    ? org.unmask.text.ChatTemplate.declared(modelDir).map(org.unmask.text.ChatTemplate::source)
                    : ckpt.ggufMetadata().map(m -> m.get(GgufTokenizer.CHAT_TEMPLATE)).filter(String.class::isInstance).map(String.class::cast);
            if (template.isPresent()) w.putString(GgufTokenizer.CHAT_TEMPLATE, template.get());
            // the model's own sampling settings travel with the file (llama.cpp ignores a key it does not know)
            java.util.Optional<String> generation = Files.isDirectory(modelDir) ? GenerationDefaults.settingsJson(modelDir)
                    : ckpt.ggufMetadata().map(m -> m.get(GenerationDefaults.GGUF_KEY)).filter(String.class::isInstance).map(String.class::cast);
            if (generation.isPresent()) w.putString(GenerationDefaults.GGUF_KEY, generation.get());
            Map<DType, Integer> counts = new LinkedHashMap<>();
            Map<String, long[]> shapes = ModelTensors.expectedShapes(c);
            for (GgufLayout.Entry e : entries) {
                String name = e.gguf();
                long[] part = shapes.get(e.hf().getFirst()), shape = e.shape(part);
                DType t = storage(name, shape, type, c.weightTying(), c.nLayers(), c.nHeads() / c.nKvHeads());
                counts.merge(t, 1, Integer::sum);
                int heads = GgufLayout.permutedHeads(arch, c, name);
                long partBytes = t.byteSize(elements(part));
                w.addTensor(name, shape, t, dst -> {
                    if (onTensor != null) onTensor.accept(name);
                    // stacked experts: expert x's matrix fills the x-th slice
                    for (int x = 0; x < e.hf().size(); x++)
                        encode(tensors.get(e.hf().get(x)), part, t, heads > 0 ? c.headDim() : 0,
                                dst.asSlice(x * partBytes, partBytes));
                });
            }
            w.write(out);
            return new Written(out, arch, Files.size(out), counts, tok);
        }
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /**
     * The type a tensor is stored in, by llama-quantize's rules (llama_tensor_get_type, without an importance matrix)
     * for the file types here: F32 for vectors and mixture routers ({@code ffn_gate_inp}, never quantized); the LM
     * head ({@code output.weight}, or {@code token_embd.weight} when the head is tied to it) in Q6_K unless the file is
     * Q8_0 or unquantized; the mixes' exceptions for {@code attn_v}, {@code ffn_down} (dense or stacked experts) and
     * {@code attn_output} by layer ({@link #attnV}, {@link #ffnDown}); everything else in the file type's base. A
     * matrix whose rows are not whole super-blocks of its K-quant falls back as llama-quantize's does, Q4_K to Q5_0,
     * Q5_K to Q5_1, Q6_K to Q8_0, Q2_K, Q3_K and IQ4_XS to IQ4_NL; rows that are not whole blocks of 32 either to F16
     * (where llama-quantize gives up on the file). {@code gqa} is the number of query heads per key/value head.
     */
    static DType storage(String name, long[] shape, GgufFileType type, boolean tied, int layers, int gqa) {
        if (shape.length == 1 || GgufLayout.isRouter(name)) return DType.F32;
        DType t = type.base;
        int layer = layerOf(name);
        if (name.equals(GgufLayout.OUTPUT) || (tied && name.equals(GgufLayout.TOKEN_EMBD))) {
            if (t.blocked() && t != DType.Q8_0) t = DType.Q6_K;
        } else if (layer >= 0 && name.contains(".attn_v.")) {
            t = attnV(type, t, layer, layers, gqa);
        } else if (layer >= 0 && name.contains(".ffn_down")) {
            t = ffnDown(type, t, layer, layers);
        } else if (layer >= 0 && name.contains(".attn_output.")) {
            t = switch (type) {
                case Q2_K -> DType.Q3_K;
                case Q3_K_M -> DType.Q4_K;
                case Q3_K_L -> DType.Q5_K;
                default -> t;
            };
        }
        long row = shape[shape.length - 1];
        if (t.blocked() && row % t.blockSize != 0) {
            t = switch (t) {
                case Q2_K, Q3_K, IQ4_XS -> DType.IQ4_NL;
                case Q4_K -> DType.Q5_0;
                case Q5_K -> DType.Q5_1;
                default -> DType.Q8_0;
            };
            if (row % t.blockSize != 0) t = DType.F16;
        }
        return t;
    }

    /**
     * attn_v of layer {@code layer}: more bits in the first layers (Q3_K_M, Q4_K_S), the {@link #moreBits} ones (_M),
     * or under grouped-query attention (Q2_K, IQ4).
     */
    private static DType attnV(GgufFileType type, DType base, int layer, int layers, int gqa) {
        return switch (type) {
            case Q2_K -> gqa >= 4 ? DType.Q4_K : DType.Q3_K;
            case Q3_K_M -> layer < 2 ? DType.Q5_K : DType.Q4_K;
            case Q3_K_L -> DType.Q5_K;
            case Q4_K_S -> layer < 4 ? DType.Q5_K : base;
            case Q4_K_M, Q5_K_M -> moreBits(layer, layers) ? DType.Q6_K : base;
            case IQ4_NL, IQ4_XS -> gqa >= 4 ? DType.Q5_K : base;
            default -> base;
        };
    }

    /** ffn_down of layer {@code layer}. */
    private static DType ffnDown(GgufFileType type, DType base, int layer, int layers) {
        return switch (type) {
            case Q2_K -> DType.Q3_K;
            case Q3_K_M -> layer < layers / 16 ? DType.Q5_K : DType.Q4_K;
            case Q3_K_L -> DType.Q5_K;
            case Q4_K_S, IQ4_NL, IQ4_XS -> layer < layers / 8 ? DType.Q5_K : base;
            case Q4_K_M, Q5_K_M -> moreBits(layer, layers) ? DType.Q6_K : base;
            default -> base;
        };
    }

    /** llama-quantize's use_more_bits: the first and last eighth of the layers and every third one between. */
    static boolean moreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /** N of a tensor named "blk.N. ...", else −1. */
    private static int layerOf(String name) {
        if (!name.startsWith("blk.")) return -1;
        int dot = name.indexOf('.', 4);
        return dot < 0 ? -1 : Integer.parseInt(name.substring(4, dot));
    }

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Converts {@code src} row by row into {@code dst} in {@code t}; with {@code permuteHd > 0} Hugging Face row r
     * goes to GGUF row {@link GgufLayout#ggufRow}(r, hd).
     */
    static void encode(Weights src, long[] shape, DType t, int permuteHd, MemorySegment dst) {
        int K = (int) shape[shape.length - 1];
        long rows = src.size() / K;
        long rowBytes = t.byteSize(K);
        Parallel.forRange((int) rows, Math.max(1, (1 << 16) / K), (r0, r1) -> {
            float[] row = new float[K];
            for (int r = r0; r < r1; r++) {
                src.toFloat((long) r * K, row, 0, K);
                long at = (permuteHd > 0 ? GgufLayout.ggufRow(r, permuteHd) : r) * rowBytes;
                switch (t) {
                    case F32 -> { for (int k = 0; k < K; k++) dst.set(F32_LE, at + 4L * k, row[k]); }
                    case F16 -> { for (int k = 0; k < K; k++) dst.set(I16_LE, at + 2L * k, Float.floatToFloat16(row[k])); }
                    case BF16 -> { for (int k = 0; k < K; k++) dst.set(I16_LE, at + 2L * k, bf16(row[k])); }
                    default -> Quantizer.quantize(t, row, 0, K, dst, at);
                }
            }
        });
    }

    /** float32 → bfloat16 rounding to nearest even (NaNs stay quiet NaNs), as ggml converts. */
    static short bf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }
}
