package org.unmask.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.files.AtomicFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code results.jsonl} of a study: one JSON object per arm or measurement, keyed by its {@code "key"} field, rewritten
 * atomically after each one so that an interrupted study keeps what it finished and a re-run can skip it.
 */
public final class Ledger {
    /** The file name in the study directory. */
    public static final String FILE = "results.jsonl";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final Map<String, ObjectNode> rows = new LinkedHashMap<>();

    /** Reads {@code dir/results.jsonl} when it exists; a line that is not a JSON object with a key is named in the error. */
    public Ledger(Path dir) throws IOException {
        this.file = dir.resolve(FILE);
        if (!Files.exists(file)) return;
        int no = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            no++;
            if (line.isBlank()) continue;
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(file + " line " + no + ": not JSON (" + e.getOriginalMessage() + ")");
            }
            if (!(n instanceof ObjectNode o) || !n.path("key").isTextual())
                throw new IOException(file + " line " + no + ": expected an object with a \"key\" field");
            rows.put(o.get("key").asText(), o);
        }
    }

    /** The row recorded under {@code key}. */
    public Optional<ObjectNode> get(String key) { return Optional.ofNullable(rows.get(key)); }

    /** Records {@code row} under {@code key} (replacing an older one) and rewrites the file. */
    public void put(String key, ObjectNode row) throws IOException {
        ObjectNode r = row.deepCopy();
        r.put("key", key);
        rows.put(key, r);
        List<String> lines = new ArrayList<>();
        for (ObjectNode o : rows.values()) lines.add(JSON.writeValueAsString(o));
        Files.createDirectories(file.getParent());
        AtomicFile.write(file, tmp -> Files.write(tmp, lines, StandardCharsets.UTF_8));
    }
}
