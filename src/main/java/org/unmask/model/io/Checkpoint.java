package org.unmask.model.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.unmask.files.AtomicDirectory;
import org.unmask.model.ModelConfig;
import org.unmask.model.ModelTensors;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * A Hugging Face model directory: {@code config.json} plus {@code model.safetensors}, or shards listed in
 * {@code model.safetensors.index.json}. Opening maps every file and checks every tensor against the config; the
 * tensors stay valid until {@link #close()}.
 */
public final class Checkpoint implements AutoCloseable {

    /** The architecture file of a model directory. */
    public static final String CONFIG = "config.json";
    /** The weights file of an unsharded model. */
    public static final String SINGLE = "model.safetensors";
    /** The shard index of a sharded model. */
    public static final String INDEX = "model.safetensors.index.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final ModelConfig config;
    private final List<SafetensorsFile> files;
    private final Map<String, Weights> tensors;
    private final GgufModel gguf;   // null for a safetensors directory

    private Checkpoint(ModelConfig config, List<SafetensorsFile> files, Map<String, Weights> tensors, GgufModel gguf) {
        this.config = config;
        this.files = files;
        this.tensors = tensors;
        this.gguf = gguf;
    }

    /**
     * Opens a HF model directory of any family: config.json + model.safetensors or model.safetensors.index.json
     * shards; validates every tensor against the family's tensors for the config (missing, extra, dtype, shape).
     * A GGUF file (llada, dream or llada-moe architecture, as llama.cpp writes them) opens too, its tensors under their Hugging
     * Face names.
     */
    public static Checkpoint open(Path dir) throws IOException {
        if (isGguf(dir)) {
            GgufModel g = GgufModel.open(dir);
            return new Checkpoint(g.config(), List.of(), g.tensors(), g);
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException(dir + ": not a directory (expected a model directory holding " + CONFIG + ")");
        }
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": no such model directory" + leftoverHint(dir));
        Path configFile = dir.resolve(CONFIG);
        ModelConfig config = ModelConfig.read(configFile);
        DType declared = declaredDtype(configFile);
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
            Path index = dir.resolve(INDEX);
            if (Files.exists(index)) {
                openShards(dir, index, files, owner);
            } else if (Files.exists(dir.resolve(SINGLE))) {
                SafetensorsFile f = SafetensorsFile.open(dir.resolve(SINGLE));
                files.add(f);
                for (String name : f.tensors().keySet()) owner.put(name, f);
            } else {
                throw new IOException(dir + ": no " + SINGLE + " or " + INDEX + " found");
            }
            ConfigVsTensors.check(configFile, config, owner);
            Map<String, Weights> tensors = validate(dir, config, declared, owner);
            return new Checkpoint(config, List.copyOf(files), Collections.unmodifiableMap(tensors), null);
        } catch (IOException | RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** The model configuration read from config.json. */
    public ModelConfig config() { return config; }

    /** Every tensor by HF name in checkpoint order, as zero-copy views into the mapped files. */
    public Map<String, Weights> tensors() { return tensors; }

    /** Whether {@code path} is a GGUF file (checked by its magic number), which {@link #open} reads as a model. */
    public static boolean isGguf(Path path) { return GgufModel.isGguf(path); }

    /**
     * The GGUF metadata of a checkpoint opened from a GGUF file (the tokenizer lives there), empty for a safetensors
     * directory.
     */
    public java.util.Optional<Map<String, Object>> ggufMetadata() {
        return gguf == null ? java.util.Optional.empty() : java.util.Optional.of(gguf.file().metadata());
    }

    /**
     * The tokenizer stored in the GGUF metadata of a checkpoint opened from a GGUF file; empty for a safetensors
     * directory or a GGUF file without one.
     */
    public java.util.Optional<org.unmask.text.HfTokenizer> ggufTokenizer() throws IOException {
        return gguf == null ? java.util.Optional.empty() : GgufTokenizer.read(gguf.file());
    }

    /**
     * The chat template stored in the GGUF metadata ({@code tokenizer.chat_template}, as llama.cpp's converter writes
     * it), its {@code bos_token} and {@code eos_token} spelled by {@code tok}; empty for a safetensors directory or a
     * file without one.
     */
    public java.util.Optional<org.unmask.text.ChatTemplate> ggufChatTemplate(org.unmask.text.Tokenizer tok) throws IOException {
        if (gguf == null) return java.util.Optional.empty();
        GgufFile g = gguf.file();
        String source = g.optString(GgufTokenizer.CHAT_TEMPLATE);
        if (source == null || source.isBlank()) return java.util.Optional.empty();
        Integer bos = g.optInteger("tokenizer.ggml.bos_token_id"), eos = g.optInteger("tokenizer.ggml.eos_token_id");
        return java.util.Optional.of(new org.unmask.text.ChatTemplate(source, spelled(tok, bos), spelled(tok, eos)));
    }

    private static String spelled(org.unmask.text.Tokenizer tok, Integer id) {
        return tok == null || id == null || id < 0 || id >= tok.vocabSize() ? "" : tok.token(id);
    }

    /** Names, dtypes, shapes and files of the tensors (for GGUF: the name is the GGUF tensor's). */
    public Map<String, TensorInfo> tensorInfos() {
        if (gguf != null) return gguf.infos();
        Map<String, TensorInfo> all = new LinkedHashMap<>();
        for (SafetensorsFile f : files) all.putAll(f.tensors());
        Map<String, TensorInfo> ordered = new LinkedHashMap<>();
        for (String name : tensors.keySet()) ordered.put(name, all.get(name));
        return ordered;
    }

    /** Unmaps every file; the tensors must no longer be used. */
    @Override public void close() {
        files.forEach(SafetensorsFile::close);
        if (gguf != null) gguf.close();
    }

    /** Writes config.json + model.safetensors (sharded with an index above maxShardBytes) atomically. */
    public static void save(Path dir, ModelConfig config, Map<String, Weights> tensors, DType dtype,
                            long maxShardBytes) throws IOException {
        Map<String, TensorSource> sources = new LinkedHashMap<>();
        tensors.forEach((k, w) -> sources.put(k, TensorSource.of(w)));
        saveSources(dir, config, sources, dtype, maxShardBytes, null);
    }

    /**
     * Like {@link #save} with tensors streamed from sources. The directory is written as a hidden sibling and then
     * swapped in, so a crash leaves the previous directory intact; files of an existing directory other than the
     * model's own (tokenizer.json, README, ...) are carried over. {@code progress} (may be null) receives the total
     * data bytes written so far.
     */
    public static void saveSources(Path dir, ModelConfig config, Map<String, TensorSource> tensors, DType dtype,
                                   long maxShardBytes, LongConsumer progress) throws IOException {
        CheckpointWriter.save(dir, config, tensors, dtype, maxShardBytes, progress);
    }

    /**
     * Writes config.json and the weights straight into {@code dir}, which the caller is staging as a whole (a run
     * checkpoint that adds its own files before swapping the directory in); no swap of its own.
     */
    public static void write(Path dir, ModelConfig config, Map<String, Weights> tensors, DType dtype,
                             long maxShardBytes) throws IOException {
        Map<String, TensorSource> sources = new LinkedHashMap<>();
        tensors.forEach((k, w) -> sources.put(k, TensorSource.of(w)));
        CheckpointWriter.write(dir, config, sources, dtype, maxShardBytes, null);
    }

    // ---- opening ----

    private static void openShards(Path dir, Path index, List<SafetensorsFile> files,
                                   Map<String, SafetensorsFile> owner) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (JsonProcessingException e) {
            throw new IOException(index + ": not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw new IOException(index + ": missing object 'weight_map'");
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText();
            if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\")
                    || shard.equals("..") || shard.equals(".")) {
                throw new IOException(index + ": tensor '" + e.getKey() + "' maps to " + e.getValue()
                        + ", which is not a file name in this directory");
            }
            weightMap.put(e.getKey(), shard);
        }
        Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            String shard = e.getValue();
            if (byShard.containsKey(shard)) continue;
            Path p = dir.resolve(shard);
            if (!Files.isRegularFile(p)) {
                throw new IOException(index + ": points at missing shard " + shard + " (for tensor '" + e.getKey() + "')");
            }
            SafetensorsFile f = SafetensorsFile.open(p);
            files.add(f);
            byShard.put(shard, f);
        }
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            SafetensorsFile f = byShard.get(e.getValue());
            if (!f.tensors().containsKey(e.getKey())) {
                throw new IOException(index + ": says tensor '" + e.getKey() + "' is in " + e.getValue()
                        + ", but that file does not contain it");
            }
            owner.put(e.getKey(), f);
        }
        for (SafetensorsFile f : files) {
            for (String name : f.tensors().keySet()) {
                if (!f.file().getFileName().toString().equals(weightMap.get(name))) {
                    throw new IOException(f.file() + ": holds tensor '" + name + "', which " + INDEX
                            + (weightMap.containsKey(name) ? " assigns to " + weightMap.get(name) : " does not list"));
                }
            }
        }
    }

    private static Map<String, Weights> validate(Path dir, ModelConfig config, DType declared,
                                                 Map<String, SafetensorsFile> owner) throws IOException {
        Map<String, long[]> expected = ModelTensors.expectedShapes(config);
        String configShape = describe(config);
        List<String> missing = new ArrayList<>();
        for (String name : expected.keySet()) if (!owner.containsKey(name)) missing.add(name);
        if (!missing.isEmpty()) {
            throw new IOException(dir + ": " + describe("missing tensor", missing) + " that " + configShape + " requires");
        }
        for (String name : owner.keySet()) {
            if (!expected.containsKey(name) && !config.family().ignoredTensor(config, name)) {
                throw new IOException(owner.get(name).file() + ": unexpected tensor '" + name
                        + "', not part of the model that " + configShape + " describes");
            }
        }
        Map<String, Weights> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            SafetensorsFile f = owner.get(e.getKey());
            TensorInfo info = f.tensors().get(e.getKey());
            String where = f.file() + ": tensor '" + e.getKey() + "'";
            if (info.dtype() != DType.F32 && info.dtype() != DType.BF16 && info.dtype() != DType.F16) {
                throw new IOException(where + ": unsupported dtype for weights: " + info.dtype()
                        + " (expected F32, BF16 or F16)");
            }
            if (declared != null && info.dtype() != declared) {
                throw new IOException(where + ": dtype " + info.dtype() + " disagrees with torch_dtype "
                        + torchName(declared) + " in config.json");
            }
            if (!Arrays.equals(info.shape(), e.getValue())) {
                throw new IOException(where + ": shape " + info.shapeString() + " does not match "
                        + Arrays.toString(e.getValue()) + " implied by " + configShape);
            }
            tensors.put(e.getKey(), f.weights(e.getKey()));
        }
        return tensors;
    }

    /** The sizes of a config in its family's field names, e.g. {@code config.json (d_model=16, ...)}. */
    static String describe(ModelConfig c) {
        var f = c.family();
        return "config.json (" + f.name() + ": " + f.fieldName(ModelConfig.Field.D_MODEL) + "=" + c.dModel()
                + ", " + f.fieldName(ModelConfig.Field.N_LAYERS) + "=" + c.nLayers()
                + ", " + f.fieldName(ModelConfig.Field.N_HEADS) + "=" + c.nHeads()
                + ", " + f.fieldName(ModelConfig.Field.N_KV_HEADS) + "=" + c.nKvHeads()
                + ", " + f.fieldName(ModelConfig.Field.MLP_HIDDEN_SIZE) + "=" + c.mlpHiddenSize()
                + ", " + f.fieldName(ModelConfig.Field.EMBEDDING_SIZE) + "=" + c.embeddingSize()
                + ", tied head=" + c.weightTying() + ")";
    }

    static String describe(String what, List<String> names) {
        String s = what + " '" + names.get(0) + "'";
        return names.size() == 1 ? s : s + " (and " + (names.size() - 1) + " more)";
    }

    /** The storage dtype config.json declares in torch_dtype, or null when absent or not a float type we store. */
    private static DType declaredDtype(Path configFile) throws IOException {
        JsonNode root = JSON.readTree(configFile.toFile());
        JsonNode n = root.has("torch_dtype") ? root.get("torch_dtype") : root.get("dtype");   // transformers 4.56+ writes "dtype"
        if (n == null || !n.isTextual()) return null;
        return switch (n.asText()) {
            case "float32" -> DType.F32;
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> null;
        };
    }

    static String torchName(DType d) {
        return switch (d) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> d.name();
        };
    }

    private static String leftoverHint(Path dir) {
        try {
            return AtomicDirectory.previousVersion(dir).map(p -> " (an interrupted save left the previous version at " + p + ")")
                    .orElse("");
        } catch (IOException ignored) {
            return "";   // the hint is optional
        }
    }

}
