package org.unmask.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Whether a cached snapshot holds a loadable model: {@code config.json} and the safetensors weights (one file, or an
 * index and every shard it names). A snapshot can be partial: the Python tools download a tokenizer alone, and
 * {@code pull --include} takes what it is told.
 */
final class ModelFiles {
    private ModelFiles() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What is missing from {@code dir} for a model, or empty when nothing is. */
    static Optional<String> missing(Path dir) {
        if (!Files.isRegularFile(dir.resolve("config.json"))) return Optional.of("config.json");
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) return Optional.empty();
        Path index = dir.resolve("model.safetensors.index.json");
        if (!Files.isRegularFile(index)) return Optional.of("model.safetensors (or model.safetensors.index.json and its shards)");
        try {
            TreeSet<String> shards = new TreeSet<>();
            JsonNode map = JSON.readTree(index.toFile()).path("weight_map");
            map.forEach(v -> shards.add(v.asText()));
            if (shards.isEmpty()) return Optional.of("the weight_map of model.safetensors.index.json");
            for (String shard : shards) if (!Files.isRegularFile(dir.resolve(shard))) return Optional.of(shard);
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.of("a readable model.safetensors.index.json");
        }
    }
}
