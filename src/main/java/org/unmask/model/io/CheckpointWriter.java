package org.unmask.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.files.AtomicDirectory;
import org.unmask.files.AtomicFile;
import org.unmask.model.ModelConfig;
import org.unmask.model.ModelTensors;
import org.unmask.model.tensor.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;

/**
 * Saves a model directory: config.json and the weights (one file, or shards with an index) are written into a hidden
 * staging directory beside the target, the target's other files are carried over, and the staging directory is then
 * swapped in ({@link AtomicDirectory}).
 */
final class CheckpointWriter {
    private CheckpointWriter() {}

    private static final Pattern SHARD = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** See {@link Checkpoint#saveSources}: the model files are staged beside the target, then swapped in. */
    static void save(Path dir, ModelConfig config, Map<String, TensorSource> tensors, DType dtype,
                     long maxShardBytes, LongConsumer progress) throws IOException {
        Plan plan = plan(config, tensors, dtype, maxShardBytes);
        AtomicDirectory.replace(dir, name -> !isModelFile(name), staging -> plan.writeInto(staging, config, tensors, progress));
    }

    /** See {@link Checkpoint#write}: the model files written straight into a directory that is being staged. */
    static void write(Path dir, ModelConfig config, Map<String, TensorSource> tensors, DType dtype,
                      long maxShardBytes, LongConsumer progress) throws IOException {
        plan(config, tensors, dtype, maxShardBytes).writeInto(dir, config, tensors, progress);
    }

    /** The checked tensor shapes and their grouping into files. */
    private record Plan(Map<String, long[]> shapes, List<List<String>> shards, DType dtype) {
        void writeInto(Path dir, ModelConfig config, Map<String, TensorSource> tensors, LongConsumer progress)
                throws IOException {
            Path cfg = dir.resolve(Checkpoint.CONFIG);
            config.write(cfg);
            recordDtype(cfg, dtype);
            writeWeights(dir, tensors, shapes, shards, dtype, progress);
        }
    }

    private static Plan plan(ModelConfig config, Map<String, TensorSource> tensors, DType dtype, long maxShardBytes) {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("shard size must be positive, got " + maxShardBytes);
        Map<String, long[]> shapes = ModelTensors.expectedShapes(config);
        checkTensors(shapes, tensors);
        return new Plan(shapes, planShards(shapes, dtype, maxShardBytes), dtype);
    }

    /** The tensors must be exactly the model's, each with the element count of its shape. */
    private static void checkTensors(Map<String, long[]> shapes, Map<String, TensorSource> tensors) {
        List<String> missing = new ArrayList<>(shapes.keySet());
        missing.removeAll(tensors.keySet());
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("cannot save: " + Checkpoint.describe("missing tensor", missing));
        }
        List<String> extra = new ArrayList<>(tensors.keySet());
        extra.removeAll(shapes.keySet());
        if (!extra.isEmpty()) {
            throw new IllegalArgumentException("cannot save: " + Checkpoint.describe("tensor", extra)
                    + " not part of the model");
        }
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            long have = tensors.get(e.getKey()).size();
            if (have != n) {
                throw new IllegalArgumentException("cannot save: tensor '" + e.getKey() + "' has " + have
                        + " elements but the config implies " + Arrays.toString(e.getValue()) + " = " + n);
            }
        }
    }

    /** Writes model.safetensors, or the shards and their index, into {@code dir}. */
    private static void writeWeights(Path dir, Map<String, TensorSource> tensors, Map<String, long[]> shapes,
                                     List<List<String>> shards, DType dtype, LongConsumer progress) throws IOException {
        Map<String, String> format = Map.of("format", "pt");
        if (shards.size() == 1) {
            SafetensorsWriter.writeSources(dir.resolve(Checkpoint.SINGLE), tensors, shapes, dtype, format, progress);
            return;
        }
        Map<String, String> weightMap = new TreeMap<>();
        long total = 0;
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Map<String, TensorSource> part = new LinkedHashMap<>();
            for (String t : shards.get(i)) {
                part.put(t, tensors.get(t));
                weightMap.put(t, name);
            }
            long before = total;
            SafetensorsWriter.writeSources(dir.resolve(name), part, shapes, dtype, format,
                    progress == null ? null : w -> progress.accept(before + w));
            for (String t : shards.get(i)) total += tensors.get(t).size() * dtype.bytes;
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_size", total));
        index.put("weight_map", weightMap);
        AtomicFile.writeBytes(dir.resolve(Checkpoint.INDEX), JSON.writeValueAsBytes(index));
    }

    /** Groups tensors, in checkpoint order, into files of at most maxShardBytes (a larger tensor gets its own). */
    static List<List<String>> planShards(Map<String, long[]> shapes, DType dtype, long maxShardBytes) {
        List<List<String>> shards = new ArrayList<>();
        List<String> current = new ArrayList<>();
        long size = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long bytes = dtype.bytes;
            for (long s : e.getValue()) bytes *= s;
            if (!current.isEmpty() && size + bytes > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(e.getKey());
            size += bytes;
        }
        if (!current.isEmpty()) shards.add(current);
        return shards;
    }

    static boolean isModelFile(String name) {
        return name.equals(Checkpoint.CONFIG) || name.equals(Checkpoint.SINGLE) || name.equals(Checkpoint.INDEX)
                || SHARD.matcher(name).matches();
    }


    /** Makes config.json's torch_dtype tell the truth about the stored tensors. */
    private static void recordDtype(Path cfg, DType dtype) throws IOException {
        ObjectNode node = (ObjectNode) JSON.readTree(cfg.toFile());
        node.put("torch_dtype", Checkpoint.torchName(dtype));
        AtomicFile.writeBytes(cfg, JSON.writeValueAsBytes(node));
    }

}
