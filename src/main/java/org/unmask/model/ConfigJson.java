package org.unmask.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed {@code config.json} with typed field access for the families' readers: every error names the file and
 * the field, so that each family's mapping stays a list of field reads.
 */
public final class ConfigJson {

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final ObjectNode node;

    private ConfigJson(Path file, ObjectNode node) {
        this.file = file;
        this.node = node;
    }

    /** Parses {@code file}; errors name it. */
    public static ConfigJson read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file");
        JsonNode tree;
        try {
            tree = MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (tree == null || !tree.isObject()) throw new IOException(file + ": expected a JSON object");
        return new ConfigJson(file, (ObjectNode) tree);
    }

    /** The file this came from. */
    public Path file() { return file; }

    /** Whether the field is present and not null. */
    public boolean has(String field) { return node.hasNonNull(field); }

    /** Whether the field is present, null included (a null that means "none" against a class default that is not). */
    public boolean present(String field) { return node.has(field); }

    /** The {@code architectures} list (empty when absent); errors name the field. */
    public List<String> architectures() throws IOException {
        JsonNode a = node.get("architectures");
        List<String> out = new ArrayList<>();
        if (a == null || a.isNull()) return out;
        if (!a.isArray()) throw error("architectures", "must be a list of class names, got " + a);
        for (JsonNode n : a) {
            if (!n.isTextual()) throw error("architectures", "must be a list of class names, got " + a);
            out.add(n.asText());
        }
        return out;
    }

    /** A text field, or null when absent. */
    public String text(String field) throws IOException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw error(field, "must be a string, got " + v);
        return v.asText();
    }

    /** A required whole number within 32 bits. */
    public int requiredInt(String field) throws IOException {
        Integer v = optInt(field);
        if (v == null) throw new IOException(file + ": missing field '" + field + "'");
        return v;
    }

    /** A whole number within 32 bits, or null when absent. */
    public Integer optInt(String field) throws IOException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw error(field, "must be a number, got " + v);
        if (!v.isIntegralNumber() && v.doubleValue() != Math.rint(v.doubleValue()))
            throw error(field, "must be a whole number, got " + v);
        // Jackson would report the overflow without naming the field
        if (!v.canConvertToInt())
            throw new IOException(file + ": field '" + field + "' = " + v + " is beyond the 32-bit range of the tensors' sizes and ids");
        return (int) v.asLong();
    }

    /** A whole number within 32 bits, or {@code fallback} when absent. */
    public int optInt(String field, int fallback) throws IOException {
        Integer v = optInt(field);
        return v == null ? fallback : v;
    }

    /** A required number. */
    public double requiredReal(String field) throws IOException {
        Double v = optReal(field);
        if (v == null) throw new IOException(file + ": missing field '" + field + "'");
        return v;
    }

    /** A number, or null when absent. */
    public Double optReal(String field) throws IOException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw error(field, "must be a number, got " + v);
        return v.doubleValue();
    }

    /** A boolean, or {@code fallback} when absent. */
    public boolean optBool(String field, boolean fallback) throws IOException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return fallback;
        if (!v.isBoolean()) throw error(field, "must be true or false, got " + v);
        return v.asBoolean();
    }

    /** A list of whole numbers, or null when absent; a single number is returned as a list of one. */
    public List<Integer> optIntList(String field) throws IOException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return null;
        if (v.isNumber()) return List.of(optInt(field));
        if (!v.isArray()) throw error(field, "must be a number or a list of whole numbers, got " + v);
        List<Integer> out = new ArrayList<>();
        for (JsonNode n : v) {
            if (!n.isIntegralNumber() || !n.canConvertToInt()) throw error(field, "must be a list of whole numbers, got " + v);
            out.add(n.asInt());
        }
        return out;
    }

    /** An error about one field of this file. */
    public IOException error(String field, String problem) {
        return new IOException(file + ": field '" + field + "' " + problem);
    }

    /** A family's mapping from config.json to the engine's config. */
    @FunctionalInterface
    public interface Mapping {
        /** Reads the fields; may throw IOException (a field error) or IllegalArgumentException (a value the config rejects). */
        ModelConfig read(ConfigJson json) throws IOException;
    }

    /** Runs a family's mapping; a rejected value becomes an IOException that starts with this file's path. */
    ModelConfig build(Mapping mapping) throws IOException {
        try {
            return mapping.read(this);
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            if (msg != null && msg.startsWith(ModelConfig.PREFIX)) msg = msg.substring(ModelConfig.PREFIX.length());
            throw new IOException(file + ": " + msg, e);
        }
    }
}
